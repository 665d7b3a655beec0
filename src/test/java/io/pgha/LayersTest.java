package io.pgha;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** One package per concern, dependencies in one direction: no package imports one above it in this order. */
class LayersTest {
    /** Top to bottom, as README's layout section lists them. */
    static final List<String> LAYERS = List.of("launch", "cli", "lab", "agent", "report", "roles", "backup", "engine",
            "probe", "pooler", "postgres", "resources", "supervise", "dcs", "net", "tls", "runtime", "model");
    /** Packages held to fewer imports than their place allows: the DCS contract knows only values and identities. */
    static final Map<String, Set<String>> ONLY = Map.of("dcs", Set.of("model", "tls"));
    /** The lab is a tool for pghactl and the tests: nothing the agent runs may lean on it. */
    static final Set<String> MAY_USE_LAB = Set.of("cli", "lab");
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
                        if (used.equals(pkg)) {
                            continue;
                        }
                        if (LAYERS.indexOf(used) <= LAYERS.indexOf(pkg)) {
                            violations.add(MAIN.relativize(f) + " uses io.pgha." + used + " (above it)");
                        } else if (ONLY.containsKey(pkg) && !ONLY.get(pkg).contains(used)) {
                            violations.add(MAIN.relativize(f) + " uses io.pgha." + used + " (" + pkg + " may use only "
                                    + ONLY.get(pkg) + ")");
                        } else if (used.equals("lab") && !MAY_USE_LAB.contains(pkg)) {
                            violations.add(MAIN.relativize(f) + " uses io.pgha.lab (only " + MAY_USE_LAB + " may)");
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    /** cli holds the picocli commands and CtlMain, nothing else: what they drive lives beside what it drives. */
    @Test
    void cliHoldsOnlyCommands() throws IOException {
        List<String> notCommands = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN.resolve("cli"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.equals("CtlMain.java") && !Files.readString(f).contains("@Command")) {
                    notCommands.add(name);
                }
            }
        }
        assertEquals(List.of(), notCommands, "classes in cli that are no picocli command");
    }

    /** The store's contract carries typed values: JSON is read and written in model and dcs only. */
    @Test
    void jsonOfStoredValuesStaysInModelAndDcs() throws IOException {
        Pattern json = Pattern.compile("\\b(fromJson|toJson)\\b");
        List<String> uses = new ArrayList<>();
        for (Path root : List.of(MAIN, MAIN.resolve("../../../../test/java/io/pgha").normalize())) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    String pkg = root.relativize(f).getName(0).toString();
                    boolean self = f.getFileName().toString().equals("LayersTest.java");
                    boolean allowed = self || pkg.equals("model") || pkg.equals("dcs");
                    if (!allowed && json.matcher(Files.readString(f)).find()) {
                        uses.add(root.relativize(f).toString());
                    }
                }
            }
        }
        assertEquals(List.of(), uses, "files outside model/ and dcs/ that read or write JSON of stored values");
    }
}
