package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.ProgramVersion;
import io.pgha.model.Role;
import io.pgha.model.TestSpecs;
import io.pgha.postgres.PatroniConfig;
import io.pgha.resources.FileResource;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's plan as every role's planner makes it, through the one entry point the agent and pghactl use. */
class HostRolesTest {
    private static final String SPEC = TestSpecs.GUIDE_HOSTS + "postgres:\n  parameters: {work_mem: 8MB}\n";

    @TempDir
    Path temp;
    private TestHosts hosts;

    @BeforeEach
    void hosts() {
        hosts = new TestHosts(temp);
    }

    @AfterEach
    void close() {
        hosts.close();
    }

    private static <T extends Resource> T only(DesiredState state, Class<T> kind, String id) {
        return state.resources().stream().filter(r -> r.id().equals(id)).map(kind::cast).findFirst()
                .orElseThrow(() -> new AssertionError("no " + id + " in " + state.resources()));
    }

    @Test
    void aPassBuildsPatroniYmlOnceAndEverythingThatDependsOnItComesFromThatBuild() throws Exception {
        HostContext ctx = hosts.host(AgentConfigTest.MINIMAL, "pg1", "10.0.1.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(SPEC, "spec");
        List<PatroniConfig.Document> built = new ArrayList<>();
        HostRoles roles = new HostRoles(ctx, in -> {
            PatroniConfig.Document d = PatroniConfig.document(in);
            built.add(d);
            return d;
        });
        DesiredState state = roles.desired(PlanInput.of(Optional.of(spec),
                Optional.of(ClusterSecrets.generate(new SecureRandom()))));
        assertEquals(1, built.size(), "patroni.yml built once in the pass");
        PatroniConfig.Document document = built.get(0);
        assertEquals(Optional.of(document), state.patroni(), "the pass hands the same build on");
        FileResource file = only(state, FileResource.class, "file:" + ctx.paths().configDir().resolve("patroni.yml"));
        assertEquals(document.text(), new String(file.content(), StandardCharsets.UTF_8));
        ProcessResource patroni = only(state, ProcessResource.class, "process:patroni");
        assertTrue(patroni.spec().orElseThrow().reloadDigest().startsWith(document.reloadDigest()),
                "Patroni reloads for a change of what the file says");
        assertEquals("8MB", document.parameters().get("work_mem"));
        assertEquals("8MB", document.dynamic().path("postgresql").path("parameters").path("work_mem").asText(),
                "the dynamic configuration PATCH /config keeps equal");
    }

    @Test
    void aDataHostWithoutSecretsPlansNoPatroniAndSaysWhy() throws Exception {
        HostContext ctx = hosts.host(AgentConfigTest.MINIMAL, "pg1", "10.0.1.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(SPEC, "spec");
        List<PatroniConfig.Input> built = new ArrayList<>();
        DesiredState state = new HostRoles(ctx, in -> {
            built.add(in);
            return PatroniConfig.document(in);
        }).desired(PlanInput.of(Optional.of(spec), Optional.empty()));
        assertEquals(List.of(), built);
        assertEquals(List.of(Role.DATA), List.copyOf(state.roles()));
        assertEquals(List.of(), state.resources());
        assertEquals(Optional.empty(), state.patroni());
        assertTrue(state.warnings().contains("waiting for the cluster secrets (written by the first pghactl apply)"),
                state.warnings().toString());
    }

    @Test
    void aRefusedRoleIsLeftOutWithItsReasonAndTheOthersArePlanned() throws Exception {
        HostContext ctx = hosts.host(AgentConfigTest.MINIMAL, "etcd1", "10.0.0.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(SPEC.replace("etcd1: {address: 10.0.0.1, role:"
                + " etcd}", "etcd1: {address: 10.0.0.1, roles: [etcd, lb], allow_colocation: true}"), "spec");
        DesiredState state = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), Optional.empty(),
                Map.of(Role.ETCD, "slow disk"), EtcdFacts.UNKNOWN, Optional.empty()));
        assertEquals(Map.of(Role.ETCD, "slow disk"), state.refused());
        assertEquals("refusing role etcd: slow disk", state.refusal());
        List<String> ids = state.resources().stream().map(Resource::id).toList();
        assertTrue(ids.contains("process:haproxy") && !ids.contains("process:etcd"), ids.toString());
    }

    /** etcd's 2026 hardening: a data host refuses to start a Patroni that would loop on authentication. */
    @Test
    void aPatroniThatCannotWorkWithTheClustersEtcdRefusesTheDataRoleNamingBoth() throws Exception {
        HostContext ctx = hosts.host(AgentConfigTest.MINIMAL, "pg1", "10.0.1.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(SPEC, "spec");
        Optional<ClusterSecrets> secrets = Optional.of(ClusterSecrets.generate(new SecureRandom()));
        EtcdFacts hardened = new EtcdFacts(Optional.of(List.of()), false, Optional.of(new ProgramVersion(3, 5, 30)));
        hosts.installed.put("patroni", new ProgramVersion(4, 0, 7));
        DesiredState state = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), secrets, Map.of(), hardened,
                Optional.empty()));
        assertTrue(state.refusal().startsWith("refusing role data: Patroni 4.0.7 cannot work with etcd 3.5.30"),
                state.refusal());
        assertTrue(state.refusal().contains("install Patroni 4.0.8 or later"), state.refusal());
        assertTrue(state.resources().stream().noneMatch(r -> r.id().equals("process:patroni")));

        hosts.installed.put("patroni", new ProgramVersion(4, 1, 5));
        DesiredState fixed = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), secrets, Map.of(), hardened,
                Optional.empty()));
        assertEquals(Map.of(), fixed.refused());
        only(fixed, ProcessResource.class, "process:patroni");
    }

    @Test
    void quorumCommitOnAPatroniBefore4IsRefusedNamingTheInstalledVersion() throws Exception {
        HostContext ctx = hosts.host(AgentConfigTest.MINIMAL, "pg1", "10.0.1.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(SPEC + "patroni: {synchronous_mode: quorum}\n",
                "spec");
        Optional<ClusterSecrets> secrets = Optional.of(ClusterSecrets.generate(new SecureRandom()));
        DesiredState state = new HostRoles(ctx).desired(PlanInput.of(Optional.of(spec), secrets));
        assertEquals("refusing role data: patroni.synchronous_mode: quorum needs Patroni 4.0 or later, this host has"
                + " Patroni 3.0.2 (use synchronous_mode: true, or install Patroni 4.0+)", state.refusal());
        hosts.installed.put("patroni", new ProgramVersion(4, 0, 7));
        PatroniConfig.Document document = new HostRoles(ctx).desired(PlanInput.of(Optional.of(spec), secrets))
                .patroni().orElseThrow();
        assertEquals("quorum", document.dynamic().path("synchronous_mode").asText());
        assertEquals(1, document.dynamic().path("synchronous_node_count").asInt());
    }
}
