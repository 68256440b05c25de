package io.jollama.server.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OllamaKeyTest {

    @TempDir
    Path dir;

    static boolean verifies(String authorization, byte[] data) throws Exception {
        String[] parts = authorization.split(":");
        byte[] raw = OllamaKey.rawFromBlob(Base64.getDecoder().decode(parts[0]));
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(OllamaKey.publicKey(raw));
        s.update(data);
        return s.verify(Base64.getDecoder().decode(parts[1]));
    }

    @Test
    void createdKeyReloadsAndSignsVerifiably() throws Exception {
        Path file = dir.resolve(".ollama/id_ed25519");
        OllamaKey created = OllamaKey.loadOrCreate(file);
        OllamaKey loaded = OllamaKey.loadOrCreate(file);
        assertEquals(created.publicKeyBase64(), loaded.publicKeyBase64());
        assertEquals(created.authorizedKey() + "\n", Files.readString(dir.resolve(".ollama/id_ed25519.pub")));
        assertTrue(created.publicKeyBase64().startsWith("AAAAC3NzaC1lZDI1NTE5"), created.publicKeyBase64());

        URI url = URI.create("https://registry.ollama.ai/v2/token?service=ollama&scope=x&ts=1&nonce=abc");
        String auth = loaded.authorization("GET", url);
        byte[] signed = ("GET," + url + ",ZTNiMGM0NDI5OGZjMWMxNDlhZmJmNGM4OTk2ZmI5MjQyN2FlNDFlNDY0OWI5MzRjYTQ5NTk5MWI3ODUyYjg1NQ==")
                .getBytes(StandardCharsets.UTF_8);
        assertTrue(verifies(auth, signed));
        assertTrue(!verifies(auth, "tampered".getBytes()));
    }

    @Test
    void interoperatesWithSshKeygen() throws Exception {
        Path keygen = Path.of("/usr/bin/ssh-keygen");
        Assumptions.assumeTrue(Files.isExecutable(keygen), "ssh-keygen not installed");
        // ours → ssh-keygen derives the same public key from our private key file
        Path ours = dir.resolve("ours");
        OllamaKey key = OllamaKey.loadOrCreate(ours);
        Process p = new ProcessBuilder(keygen.toString(), "-y", "-f", ours.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(key.authorizedKey(), out.split(" ")[0] + " " + out.split(" ")[1]);
        // ssh-keygen's → we read it and agree on the public key
        Path theirs = dir.resolve("theirs");
        Process g = new ProcessBuilder(keygen.toString(), "-q", "-t", "ed25519", "-N", "", "-C", "", "-f",
                theirs.toString()).redirectErrorStream(true).start();
        g.getInputStream().readAllBytes();
        assertTrue(g.waitFor(20, TimeUnit.SECONDS));
        OllamaKey read = OllamaKey.load(theirs);
        assertEquals(Files.readString(dir.resolve("theirs.pub")).strip().split(" ")[1], read.publicKeyBase64());
        assertTrue(verifies(read.sign("data".getBytes()), "data".getBytes()));
    }
}
