package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.supervise.Command;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.IssuedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LbRoleTest {
    @TempDir
    Path dir;

    private static ClusterSpec spec(String haproxy) throws Exception {
        return spec("", haproxy);
    }

    private static ClusterSpec spec(String moreHosts, String haproxy) throws Exception {
        AgentConfig agent = AgentConfig.parse("cluster: demo\netcd:\n  members:\n    etcd1: 10.0.0.1\n", "agent.yml");
        return new ClusterSpecParser(agent).parse("""
                cluster: demo
                hosts:
                  etcd1: {address: 10.0.0.1, role: etcd}
                  pg1: {address: 10.0.1.1, role: data}
                  pg2: {address: 10.0.1.2, role: data}
                  lb1: {address: 10.0.2.1, role: lb}
                """ + moreHosts + "etcd: {allow_small_cluster: true}\n" + haproxy, "spec");
    }

    /** Real files: haproxy -c loads the certificates the file names. */
    private ProgramTls tls() throws Exception {
        ClusterCa ca = ClusterCa.create("demo", new SecureRandom(), Instant.now());
        IssuedCertificate lb = ca.issue(new CertificateRequest("", List.of("lb1"), List.of("10.0.2.1"),
                Duration.ofDays(1)), Instant.now());
        Path caFile = Files.writeString(dir.resolve("ca.crt"), ca.issued().certificatePem());
        Path pem = Files.writeString(dir.resolve("haproxy.pem"), lb.certificatePem() + lb.keyPem());
        return new ProgramTls(caFile, pem, pem, List.of(), "");
    }

    private String render(ClusterSpec spec) throws Exception {
        return LbRole.render(Files.readString(Path.of("roles/lb/haproxy.cfg.tmpl")), spec, spec.host("lb1").orElseThrow(),
                tls(), dir.resolve("admin.sock"), dir.resolve("server-state"));
    }

    @Test
    void serversFollowTheDataHostsAndHaproxyAcceptsTheFile() throws Exception {
        String cfg = render(spec("haproxy: {primary_port: 6000, replica_port: 6001, stats_port: 7100}\n"));
        assertTrue(cfg.contains("bind 10.0.2.1:6000\n    option httpchk OPTIONS /primary\n"), cfg);
        assertTrue(cfg.contains("bind 10.0.2.1:6001\n"), cfg);
        assertTrue(cfg.contains("bind 127.0.0.1:7100\n"), "stats on loopback only: " + cfg);
        assertTrue(cfg.contains("option httpchk OPTIONS /replica?lag=1048576\n"), cfg);
        String checks = " maxconn 500 check port 8008 check-ssl verify required ca-file " + dir.resolve("ca.crt")
                + " crt " + dir.resolve("haproxy.pem");
        assertEquals(2, cfg.lines().filter(l -> l.equals("    server pg1 10.0.1.1:5432" + checks)).count(), cfg);
        assertEquals(2, cfg.lines().filter(l -> l.equals("    server pg2 10.0.1.2:5432" + checks)).count(), cfg);
        assertTrue(cfg.contains("on-marked-down shutdown-sessions"), cfg);
        assertTrue(cfg.contains("    stats socket " + dir.resolve("admin.sock") + " mode 600 level admin\n"
                + "    server-state-file " + dir.resolve("server-state") + "\n"), cfg);
        assertTrue(cfg.contains("    load-server-state-from-file global\n"), "a reload starts from the saved states");
        assertTrue(!cfg.contains("{{"), cfg);
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        Command.Outcome check = Command.run(List.of("/usr/sbin/haproxy", "-c", "-f", file.toString()), Duration.ofSeconds(20));
        assertEquals(0, check.exitCode(), check.output());
    }

    /** lb1 and lb2 behind a floating address. */
    private static ClusterSpec vipSpec() throws Exception {
        return spec("  lb2: {address: 10.0.2.2, role: lb}\n  lb3: {address: 10.0.2.3, role: lb}\n",
                "lb: {vip: 10.0.2.100/24, router_id: 77}\n");
    }

    @Test
    void withAFloatingAddressHaproxyListensOnEveryAddressOfTheHost() throws Exception {
        String cfg = render(vipSpec());
        assertTrue(cfg.contains("bind 0.0.0.0:5000\n"), cfg);
        assertTrue(cfg.contains("bind 0.0.0.0:5001\n"), cfg);
        assertTrue(cfg.contains("bind 127.0.0.1:7000\n"), "stats stay on loopback: " + cfg);
    }

    @Test
    void keepalivedAdvertisesToTheOtherLbHostsOnlyAndTracksTheAgentsWord() throws Exception {
        ClusterSpec spec = vipSpec();
        String conf = LbRole.renderKeepalived(Files.readString(Path.of("roles/lb/keepalived.conf.tmpl")), spec,
                spec.host("lb2").orElseThrow(), "eth1", dir.resolve("health"));
        assertTrue(conf.contains("    router_id lb2\n    vrrp_version 3\n"), conf);
        assertTrue(conf.contains("vrrp_instance demo {\n    state BACKUP\n    nopreempt\n    interface eth1\n"
                + "    virtual_router_id 77\n    priority 100\n    advert_int 0.5\n"
                + "    unicast_src_ip 10.0.2.2\n    unicast_peer {\n"
                + "        10.0.2.1 min_ttl 255\n        10.0.2.3 min_ttl 255\n    }\n"), conf);
        assertTrue(conf.contains("    virtual_ipaddress {\n        10.0.2.100/24 dev eth1\n    }\n"), conf);
        assertTrue(conf.contains("    file \"" + dir.resolve("health") + "\"\n    weight -1\n    init_file 254\n"),
                "keepalived starts at FAULT until the agent says otherwise: " + conf);
        assertTrue(!conf.contains("{{"), conf);
    }

    @Test
    void aTemplateTypoFailsInsteadOfWritingIt() {
        Template t = new Template("bind {{adress}}:{{port}}\n", "test.tmpl");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(Map.of("address", "10.0.0.1", "port", "5000"), Map.of()));
        assertTrue(e.getMessage().contains("test.tmpl: no value for [adress]"), e.getMessage());
    }

    @Test
    void blocksRepeatPerRow() {
        Template t = new Template("a\n{{#rows}}\n- {{x}} of {{total}}\n{{/rows}}\nb {{total}}\n", "t");
        String out = t.render(Map.of("total", "2"), Map.of("rows", List.of(Map.of("x", "1"), Map.of("x", "2"))));
        assertEquals("a\n- 1 of 2\n- 2 of 2\nb 2\n", out);
    }
}
