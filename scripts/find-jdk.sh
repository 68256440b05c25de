# Sourced by ./jollama, ./build and .ci/run: sets JAVA_HOME to a JDK 25 or newer.
# Order: JAVA_HOME if it is 25+, else the newest 25+ JDK in the system's JVM folder.
jdk_major() {
  local release="$1/release" v
  [ -x "$1/bin/java" ] || return 1
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java\.specification\.version = \([0-9]*\).*/\1/p')
  fi
  [ -n "$v" ] && echo "$v"
}

find_jdk25() {
  local m best="" bestv=0 d
  if [ -n "${JAVA_HOME:-}" ] && m=$(jdk_major "$JAVA_HOME") && [ "$m" -ge 25 ]; then
    return 0
  fi
  for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$d" ] || continue
    m=$(jdk_major "$d") || continue
    if [ "$m" -ge 25 ] && [ "$m" -gt "$bestv" ]; then best="$d"; bestv="$m"; fi
  done
  if [ -z "$best" ]; then
    echo "jollama: no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}; searched /usr/lib/jvm). Install a JDK 25 and set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
