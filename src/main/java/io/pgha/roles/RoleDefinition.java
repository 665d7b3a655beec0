package io.pgha.roles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.model.ProgramVersion;
import io.pgha.model.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The fixed part of a role, read from {@code roles/<role>/role.yml}: what to install per OS family, which distro
 * services to keep out of the way, which user runs the program and where its binary is.
 */
public record RoleDefinition(Role role, Map<String, List<String>> packages, Map<String, String> binDirs,
                             List<String> distroServices, String user, String binary, ProgramVersion oldest,
                             ProgramVersion newestTested) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public static RoleDefinition load(Path rolesDir, Role role) throws IOException {
        Path file = rolesDir.resolve(role.id()).resolve("role.yml");
        JsonNode root;
        try {
            root = YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read role definition " + file + ": " + e.getMessage(), e);
        }
        Map<String, List<String>> packages = new TreeMap<>();
        root.path("packages").fields().forEachRemaining(e -> packages.put(e.getKey(), texts(e.getValue())));
        Map<String, String> binDirs = new TreeMap<>();
        root.path("bin_dir").fields().forEachRemaining(e -> binDirs.put(e.getKey(), e.getValue().asText()));
        String user = root.path("user").asText("");
        String binary = root.path("binary").asText("");
        Optional<ProgramVersion> oldest = ProgramVersion.find(root.path("versions").path("oldest").asText(""));
        Optional<ProgramVersion> newest = ProgramVersion.find(root.path("versions").path("newest_tested").asText(""));
        if (packages.isEmpty() || user.isEmpty() || binary.isEmpty() || oldest.isEmpty() || newest.isEmpty()) {
            throw new IOException(file + ": expected 'packages', 'user', 'binary' and 'versions' (oldest,"
                    + " newest_tested)");
        }
        return new RoleDefinition(role, packages, binDirs, texts(root.path("distro_services")), user, binary,
                oldest.get(), newest.get());
    }

    /**
     * Refuses a program older than pgha-agent supports; a newer one than tested is run with a warning (its config
     * may still be right, and refusing would stop an upgraded host).
     */
    public Optional<String> checkVersion(ProgramVersion installed) throws RoleRefusedException {
        String program = Path.of(binary).getFileName().toString();
        if (installed.compareTo(oldest) < 0) {
            throw new RoleRefusedException("the installed " + program + " " + installed + " is older than pgha-agent"
                    + " supports (oldest: " + oldest.major() + "." + oldest.minor() + ")");
        }
        if (installed.major() > newestTested.major() || (installed.major() == newestTested.major()
                && installed.minor() > newestTested.minor())) {
            return Optional.of("the installed " + program + " " + installed + " is newer than pgha-agent was tested"
                    + " with (up to " + newestTested.major() + "." + newestTested.minor() + ")");
        }
        return Optional.empty();
    }

    /** Package names for an OS family, with {version} filled in (the Postgres major version for data hosts). */
    public List<String> packagesFor(String family, String version) throws IOException {
        List<String> names = packages.get(family);
        if (names == null) {
            throw new IOException("role " + role.id() + " lists no packages for OS family " + family);
        }
        return names.stream().map(n -> n.replace("{version}", version)).toList();
    }

    public List<String> distroServicesFor(String version) {
        return distroServices.stream().map(n -> n.replace("{version}", version)).toList();
    }

    /** The server binaries' directory for an OS family (data role only). */
    public String binDirFor(String family, String version) throws IOException {
        String dir = binDirs.get(family);
        if (dir == null) {
            throw new IOException("role " + role.id() + " gives no bin_dir for OS family " + family);
        }
        return dir.replace("{version}", version);
    }

    private static List<String> texts(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }

}
