package io.pgha;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** One package per concern, dependencies in one direction: no package imports one above it in this order. */
class LayersTest {
    /** Top to bottom, as README's layout section lists them. */
    static final List<String> LAYERS = List.of("cli", "lab", "agent", "report", "dcs", "roles", "backup", "engine",
            "probe", "postgres", "resources", "supervise", "net", "tls", "model");
    /** An import or a qualified name of another package (the package line ends with ';', never matches). */
    private static final Pattern USE = Pattern.compile("\\bio\\.pgha\\.([a-z]+)\\.[A-Za-z]");
    private static final Path MAIN = Path.of(System.getProperty("pgha.home", "."), "src/main/java/io/pgha");

    @Test
    void everyPackageIsALayerAndImportsOnlyBelowItself() throws IOException {
        List<String> packages;
        try (Stream<Path> dirs = Files.list(MAIN)) {
            packages = dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList();
        }
        assertEquals(LAYERS.stream().sorted().toList(), packages, "every package has its place in LAYERS");
        List<String> violations = new ArrayList<>();
        for (String pkg : packages) {
            try (Stream<Path> files = Files.walk(MAIN.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = USE.matcher(Files.readString(f));
                    while (m.find()) {
                        String used = m.group(1);
                        if (!used.equals(pkg) && LAYERS.indexOf(used) <= LAYERS.indexOf(pkg)) {
                            violations.add(MAIN.relativize(f) + " uses io.pgha." + used);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
