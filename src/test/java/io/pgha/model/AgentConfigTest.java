package io.pgha.model;

import static io.pgha.model.SpecAssertions.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

public class AgentConfigTest {
    /** The guide's three etcd members as agent.yml lists them; other tests build on it. */
    public static final String MINIMAL = """
            cluster: demo
            etcd:
              members:
                etcd1: 10.0.0.1
                etcd2: 10.0.0.2
                etcd3: 10.0.0.3
            """;

    static AgentConfig minimal() throws InvalidSpecException {
        return AgentConfig.parse(MINIMAL, "agent.yml");
    }

    @Test
    void minimalFileGetsDefaults() throws Exception {
        AgentConfig c = minimal();
        assertEquals("demo", c.cluster());
        assertEquals(List.of("etcd1", "etcd2", "etcd3"), List.copyOf(c.members().keySet()));
        assertEquals(2379, c.clientPort());
        assertEquals(2380, c.peerPort());
        assertEquals(Path.of("/"), c.root());
        assertEquals(Path.of("/"), c.peerPaths("pg2").root(), "every host laid out as this one");
        assertEquals(30, c.driftSeconds());
        assertEquals(Optional.empty(), c.hostName());
        assertEquals(List.of("https://10.0.0.1:2379", "https://10.0.0.2:2379", "https://10.0.0.3:2379"), c.clientUrls());
        assertEquals(Path.of("/etc/pgha-agent/ca.crt"), c.caCertificate(), "the CA sits beside agent.yml");
        assertEquals(java.time.Duration.ofDays(90), c.hostCertLifetime());
        assertEquals(Optional.of("etcd2"), c.memberAt("10.0.0.2"));
    }

    @Test
    void everyOptionalFieldIsRead() throws Exception {
        AgentConfig c = AgentConfig.parse(MINIMAL + """
                  client_port: 12379
                  peer_port: 12380
                host:
                  name: pg1
                  address: 10.0.1.1
                paths:
                  root: /var/lib/lab/pg1
                  peer_root: /var/lib/lab/{host}
                  roles: /opt/roles
                api:
                  listen: 10.0.1.1:9010
                converge:
                  drift_seconds: 5
                """, "agent.yml");
        assertEquals(12379, c.clientPort());
        assertEquals(Optional.of("pg1"), c.hostName());
        assertEquals(Path.of("/var/lib/lab/pg1"), c.root());
        assertEquals(Path.of("/var/lib/lab/backup1/var/lib/pgha-agent"), c.peerPaths("backup1").stateDir());
        assertEquals(Optional.of(Path.of("/opt/roles")), c.rolesDir());
        assertEquals(Optional.of("10.0.1.1:9010"), c.apiListen());
        assertEquals(5, c.driftSeconds());
    }

    @Test
    void malformedYamlNamesTheLine() {
        InvalidSpecException e = assertRefused(() -> AgentConfig.parse("cluster: [demo\n", "agent.yml"), "(yaml)",
                "malformed YAML");
        assertTrue(e.getMessage().startsWith("agent.yml: "), e.getMessage());
        assertTrue(e.errors().get(0).reason().contains("line "), e.getMessage());
    }

    @Test
    void emptyFileIsRefused() {
        assertRefused(() -> AgentConfig.parse("  \n", "agent.yml"), "(document)", "empty");
    }

    @Test
    void topLevelMustBeAMapping() {
        assertRefused(() -> AgentConfig.parse("- a\n- b\n", "agent.yml"), "(document)", "mapping");
    }

    @Test
    void aPeerRootMustBeAnAbsolutePath() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "paths: {peer_root: 'lab/{host}'}\n", "agent.yml"),
                "paths.peer_root", "expected an absolute path");
    }

    @Test
    void unknownKeyIsNamed() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "colour: blue\n", "agent.yml"), "colour", "unknown key");
        assertRefused(() -> AgentConfig.parse(MINIMAL + "  members_extra: 1\n", "agent.yml"), "etcd.members_extra",
                "unknown key");
    }

    @Test
    void clusterIsRequiredAndADnsLabel() {
        assertRefused(() -> AgentConfig.parse(MINIMAL.replace("cluster: demo\n", ""), "agent.yml"), "cluster",
                "required");
        assertRefused(() -> AgentConfig.parse(MINIMAL.replace("demo", "Demo_1"), "agent.yml"), "cluster",
                "DNS label");
    }

    @Test
    void membersAreRequired() {
        assertRefused(() -> AgentConfig.parse("cluster: demo\n", "agent.yml"), "etcd", "required");
        assertRefused(() -> AgentConfig.parse("cluster: demo\netcd:\n  client_port: 2379\n", "agent.yml"),
                "etcd.members", "required");
    }

    @Test
    void memberAddressMustBeIpv4() {
        assertRefused(() -> AgentConfig.parse(MINIMAL.replace("10.0.0.2", "10.0.0.256"), "agent.yml"),
                "etcd.members.etcd2", "IPv4");
        assertRefused(() -> AgentConfig.parse(MINIMAL.replace("10.0.0.2", "etcd.example.com"), "agent.yml"),
                "etcd.members.etcd2", "IPv4");
    }

    @Test
    void duplicateMemberAddressIsRefused() {
        assertRefused(() -> AgentConfig.parse(MINIMAL.replace("10.0.0.3", "10.0.0.1"), "agent.yml"),
                "etcd.members.etcd3", "duplicate address");
    }

    @Test
    void duplicateKeyIsRefused() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "cluster: other\n", "agent.yml"), "(yaml)", "uplicate");
    }

    @Test
    void memberNameMustBeADnsLabel() {
        assertRefused(() -> AgentConfig.parse(MINIMAL.replace("etcd1:", "\"etcd 1\":"), "agent.yml"),
                "etcd.members.etcd 1", "DNS label");
    }

    @Test
    void portsAreCheckedAndMustDiffer() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "  client_port: 70000\n", "agent.yml"), "etcd.client_port",
                "between 1 and 65535");
        assertRefused(() -> AgentConfig.parse(MINIMAL + "  client_port: x\n", "agent.yml"), "etcd.client_port",
                "whole number");
        assertRefused(() -> AgentConfig.parse(MINIMAL + "  client_port: 2380\n", "agent.yml"), "etcd.peer_port",
                "must differ");
    }

    @Test
    void hostOverridesAreChecked() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "host:\n  name: PG_1\n", "agent.yml"), "host.name",
                "DNS label");
        assertRefused(() -> AgentConfig.parse(MINIMAL + "host:\n  address: localhost\n", "agent.yml"),
                "host.address", "IPv4");
    }

    @Test
    void pathsMustBeAbsolute() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "paths:\n  root: lab/pg1\n", "agent.yml"), "paths.root",
                "absolute path");
    }

    @Test
    void apiListenNeedsAddressAndPort() {
        assertRefused(() -> AgentConfig.parse(MINIMAL + "api:\n  listen: 10.0.0.1\n", "agent.yml"), "api.listen",
                "address:port");
        assertRefused(() -> AgentConfig.parse(MINIMAL + "api:\n  listen: 10.0.0.1:0\n", "agent.yml"), "api.listen",
                "port between");
    }

    @Test
    void allErrorsAreReportedAtOnce() {
        InvalidSpecException e = assertRefused(() -> AgentConfig.parse("""
                cluster: Bad
                etcd:
                  members:
                    e1: nope
                  client_port: 0
                """, "agent.yml"), "cluster", "DNS label");
        assertEquals(3, e.errors().size(), e.getMessage());
    }
}
