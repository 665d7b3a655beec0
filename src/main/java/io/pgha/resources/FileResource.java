package io.pgha.resources;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A file whose whole content the agent owns. Written atomically (temp file in the same directory, fsync, owner
 * and mode set, rename, fsync of the directory) so that a reader never sees half a file.
 *
 * @param sensitive never show the content (secrets): {@code plan} says only that it differs
 * @param validator a command that must accept the new file before it replaces the old one, with {@code {}} standing
 *                  for the new file's path (e.g. {@code haproxy -c -f {}}); empty for none
 */
public record FileResource(Path path, byte[] content, Owner owner, boolean sensitive,
                           List<String> validator) implements Resource {
    private static final Duration VALIDATE_TIMEOUT = Duration.ofSeconds(30);

    public static FileResource of(Path path, String content, Owner owner) {
        return new FileResource(path, content.getBytes(StandardCharsets.UTF_8), owner, false, List.of());
    }

    public FileResource {
        content = content.clone();
        validator = List.copyOf(validator);
    }

    public FileResource asSensitive() {
        return new FileResource(path, content, owner, true, validator);
    }

    public FileResource validatedBy(List<String> command) {
        return new FileResource(path, content, owner, sensitive, command);
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public String id() {
        return "file:" + path;
    }

    /** A fingerprint of the desired content, which a process records when it starts. */
    public String digest() {
        return digest(content);
    }

    /** The fingerprint {@link #digest()} gives for this content. */
    public static String digest(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public Result checkApply(boolean apply) {
        List<String> diff = new ArrayList<>();
        boolean exists = Files.exists(path);
        boolean sameContent;
        try {
            if (!exists) {
                sameContent = false;
                diff.add(path + ": missing (would write " + content.length + " bytes, " + owner.user() + ":"
                        + owner.group() + " " + owner.modeText() + ")");
                if (!sensitive) {
                    TextDiff.lines("", new String(content, StandardCharsets.UTF_8)).forEach(l -> diff.add("  " + l));
                }
            } else {
                byte[] actual = Files.readAllBytes(path);
                sameContent = Arrays.equals(actual, content);
                if (!sameContent && sensitive) {
                    diff.add(path + ": content differs (sensitive, not shown)");
                } else if (!sameContent) {
                    diff.add(path + ": content differs");
                    TextDiff.lines(new String(actual, StandardCharsets.UTF_8), new String(content, StandardCharsets.UTF_8))
                            .forEach(l -> diff.add("  " + l));
                }
                owner.differences(path).forEach(d -> diff.add(path + ": " + d));
            }
        } catch (IOException e) {
            String reason = path + ": cannot inspect: " + e.getMessage();
            return Result.failed(id(), reason, List.of(reason));
        }
        if (diff.isEmpty()) {
            return Result.ok(id());
        }
        if (!apply) {
            return Result.wouldChange(id(), diff);
        }
        try {
            if (sameContent) {
                List<String> ownerDiff = owner.differences(path);
                owner.applyTo(path);
                return Result.changed(id(), String.join("; ", ownerDiff), diff);
            }
            writeAtomically();
            return Result.changed(id(), exists ? "content updated" : "created", diff);
        } catch (IOException | RuntimeException e) {
            return Result.failed(id(), "cannot write: " + e.getMessage(), diff);
        }
    }

    private void writeAtomically() throws IOException {
        Path dir = path.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
        try {
            // Owner and mode before the content goes in, so a secret is never readable by others, not even briefly.
            owner.applyTo(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (!validator.isEmpty()) {
                List<String> argv = validator.stream().map(a -> a.equals("{}") ? tmp.toString() : a).toList();
                Command.Outcome check = Command.run(argv, VALIDATE_TIMEOUT);
                if (!check.ok()) {
                    throw new IOException("the new content was refused by " + argv.get(0) + " (exit "
                            + check.exitCode() + "), the old file stays: " + check.lastLine());
                }
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically into " + dir, e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileResource f && f.path.equals(path) && Arrays.equals(f.content, content)
                && f.owner.equals(owner) && f.sensitive == sensitive
                && f.validator.equals(validator);
    }

    @Override
    public int hashCode() {
        return path.hashCode() * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
        return "FileResource[" + path + ", " + content.length + " bytes, " + owner + "]";
    }
}
