package io.jollama.server.queue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The queue in an embedded SQLite file ({@code JOLLAMA_DB}). The schema is created and migrated on open
 * ({@code schema_version}); times are stored as epoch milliseconds, so no SQL date function is needed. One
 * connection, used under this object's lock (SQLite serialises writers anyway).
 */
public final class SqliteQueueStore implements QueueStore {

    /** The migrations in order; the database records how many it has applied. */
    private static final List<String[]> MIGRATIONS = List.<String[]>of(new String[]{
            """
            CREATE TABLE queue (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                kind VARCHAR(16) NOT NULL,
                model VARCHAR(512) NOT NULL,
                repo VARCHAR(256),
                quant VARCHAR(64),
                insecure INTEGER NOT NULL DEFAULT 0,
                requester VARCHAR(128) NOT NULL,
                status VARCHAR(16) NOT NULL,
                error TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                completed_bytes BIGINT NOT NULL DEFAULT 0,
                total_bytes BIGINT NOT NULL DEFAULT 0,
                not_before BIGINT NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)""",
            "CREATE INDEX queue_status ON queue (status)",
            "CREATE INDEX queue_model ON queue (model)",
            """
            CREATE TABLE rate_limits (
                client VARCHAR(128) NOT NULL,
                day VARCHAR(10) NOT NULL,
                requests INTEGER NOT NULL,
                PRIMARY KEY (client, day))"""});

    private static final String COLUMNS = "id, kind, model, repo, quant, insecure, requester, status, error, attempts, "
            + "completed_bytes, total_bytes, not_before, created_at, updated_at";

    private final Path file;
    private final Connection db;

    private SqliteQueueStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens (creating and migrating) the database file. */
    public static SqliteQueueStore open(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 5000");
                s.execute("PRAGMA journal_mode = WAL");
            }
            SqliteQueueStore store = new SqliteQueueStore(file, c);
            store.migrate();
            return store;
        } catch (SQLException | java.io.IOException e) {
            throw new QueueException("cannot open the queue database " + file + ": " + e.getMessage(), e);
        }
    }

    private void migrate() throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            int version = 0;
            try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                if (rs.next()) version = rs.getInt(1);
            }
            for (int v = version; v < MIGRATIONS.size(); v++) {
                db.setAutoCommit(false);
                try {
                    for (String sql : MIGRATIONS.get(v)) s.execute(sql);
                    s.execute("INSERT INTO schema_version (version) VALUES (" + (v + 1) + ")");
                    db.commit();
                } catch (SQLException e) {
                    db.rollback();
                    throw e;
                } finally {
                    db.setAutoCommit(true);
                }
            }
        }
    }

    @Override
    public synchronized long add(QueueEntry.Request r, Instant now) {
        String sql = "INSERT INTO queue (kind, model, repo, quant, insecure, requester, status, attempts, completed_bytes, "
                + "total_bytes, not_before, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, 0, 0, 0, ?, ?)";
        try (PreparedStatement ps = db.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, r.kind().wire());
            ps.setString(2, r.model());
            ps.setString(3, r.repo());
            ps.setString(4, r.quant());
            ps.setInt(5, r.insecure() ? 1 : 0);
            ps.setString(6, r.requester());
            ps.setLong(7, now.toEpochMilli());
            ps.setLong(8, now.toEpochMilli());
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                if (!keys.next()) throw new QueueException("the database returned no id for the new entry", null);
                return keys.getLong(1);
            }
        } catch (SQLException e) {
            throw failure("add to the queue", e);
        }
    }

    @Override
    public synchronized Optional<QueueEntry> get(long id) {
        return first(query("SELECT " + COLUMNS + " FROM queue WHERE id = ?", id));
    }

    @Override
    public synchronized Optional<QueueEntry> findActive(String model) {
        return first(query("SELECT " + COLUMNS + " FROM queue WHERE model = ? AND status IN ('pending', 'downloading') "
                + "ORDER BY id", model));
    }

    @Override
    public synchronized List<QueueEntry> active(int limit) {
        return query("SELECT " + COLUMNS + " FROM queue WHERE status IN ('pending', 'downloading') ORDER BY created_at, id "
                + "LIMIT " + limit);
    }

    @Override
    public synchronized List<QueueEntry> recent(int limit) {
        return query("SELECT " + COLUMNS + " FROM queue WHERE status IN ('completed', 'failed') "
                + "ORDER BY updated_at DESC, id DESC LIMIT " + limit);
    }

    @Override
    public synchronized Map<QueueEntry.Status, Integer> counts() {
        Map<QueueEntry.Status, Integer> m = new EnumMap<>(QueueEntry.Status.class);
        for (QueueEntry.Status s : QueueEntry.Status.values()) m.put(s, 0);
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT status, COUNT(*) FROM queue GROUP BY status")) {
            while (rs.next()) m.put(QueueEntry.Status.of(rs.getString(1)), rs.getInt(2));
        } catch (SQLException e) {
            throw failure("count the queue", e);
        }
        return m;
    }

    @Override
    public synchronized Optional<QueueEntry> nextDue(Instant now) {
        return first(query("SELECT " + COLUMNS + " FROM queue WHERE status = 'pending' AND not_before <= ? "
                + "ORDER BY created_at, id LIMIT 1", now.toEpochMilli()));
    }

    @Override
    public synchronized boolean claim(long id, Instant now) {
        return execute("UPDATE queue SET status = 'downloading', updated_at = ? WHERE id = ? AND status = 'pending'",
                now.toEpochMilli(), id) == 1;
    }

    @Override
    public synchronized void update(QueueEntry e) {
        execute("UPDATE queue SET status = ?, error = ?, attempts = ?, completed_bytes = ?, total_bytes = ?, "
                        + "not_before = ?, updated_at = ? WHERE id = ?",
                e.status().wire(), e.error(), e.attempts(), e.completed(), e.total(),
                e.notBefore() == null ? 0L : e.notBefore().toEpochMilli(), e.updatedAt().toEpochMilli(), e.id());
    }

    @Override
    public synchronized void progress(long id, long completed, long total, Instant now) {
        execute("UPDATE queue SET completed_bytes = ?, total_bytes = ?, updated_at = ? WHERE id = ?",
                completed, total, now.toEpochMilli(), id);
    }

    @Override
    public synchronized int deletePending(String model) {
        return execute("DELETE FROM queue WHERE model = ? AND status = 'pending'", model);
    }

    @Override
    public synchronized int resetDownloading(Instant now) {
        return execute("UPDATE queue SET status = 'pending', updated_at = ? WHERE status = 'downloading'",
                now.toEpochMilli());
    }

    @Override
    public synchronized int deleteFinishedBefore(Instant cutoff) {
        execute("DELETE FROM rate_limits WHERE day < ?", LocalDate.ofInstant(cutoff, java.time.ZoneOffset.UTC).toString());
        return execute("DELETE FROM queue WHERE status IN ('completed', 'failed') AND updated_at < ?", cutoff.toEpochMilli());
    }

    @Override
    public synchronized int requestsOn(String client, LocalDate day) {
        try (PreparedStatement ps = db.prepareStatement("SELECT requests FROM rate_limits WHERE client = ? AND day = ?")) {
            ps.setString(1, client);
            ps.setString(2, day.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        } catch (SQLException e) {
            throw failure("read the rate limit", e);
        }
    }

    @Override
    public synchronized void countRequest(String client, LocalDate day) {
        // update-then-insert instead of a dialect's upsert; we hold the only connection
        if (execute("UPDATE rate_limits SET requests = requests + 1 WHERE client = ? AND day = ?", client, day.toString()) == 0) {
            execute("INSERT INTO rate_limits (client, day, requests) VALUES (?, ?, 1)", client, day.toString());
        }
    }

    @Override
    public synchronized void ping() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            if (!rs.next()) throw new QueueException("SELECT 1 returned nothing", null);
        } catch (SQLException e) {
            throw failure("query the database", e);
        }
    }

    @Override
    public String location() {
        return file.toAbsolutePath().toString();
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing at shutdown; nothing left to save
        }
    }

    // ---- plumbing

    private int execute(String sql, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("update the queue", e);
        }
    }

    private List<QueueEntry> query(String sql, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            List<QueueEntry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(row(rs));
            }
            return out;
        } catch (SQLException e) {
            throw failure("read the queue", e);
        }
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case null -> ps.setObject(i + 1, null);
                case Long l -> ps.setLong(i + 1, l);
                case Integer n -> ps.setInt(i + 1, n);
                case String s -> ps.setString(i + 1, s);
                default -> throw new IllegalArgumentException("cannot bind " + args[i].getClass());
            }
        }
    }

    private static Optional<QueueEntry> first(List<QueueEntry> l) {
        return l.isEmpty() ? Optional.empty() : Optional.of(l.getFirst());
    }

    private static QueueEntry row(ResultSet rs) throws SQLException {
        long notBefore = rs.getLong("not_before");
        return new QueueEntry(rs.getLong("id"), QueueEntry.Kind.of(rs.getString("kind")), rs.getString("model"),
                rs.getString("repo"), rs.getString("quant"), rs.getInt("insecure") != 0, rs.getString("requester"),
                QueueEntry.Status.of(rs.getString("status")), rs.getString("error"), rs.getInt("attempts"),
                rs.getLong("completed_bytes"), rs.getLong("total_bytes"),
                notBefore == 0 ? null : Instant.ofEpochMilli(notBefore),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    }

    private QueueException failure(String what, SQLException e) {
        return new QueueException("cannot " + what + " (" + file + "): " + e.getMessage(), e);
    }
}
