package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.MemoryDcs;
import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Role;
import io.pgha.model.TestSpecs;
import io.pgha.report.AgentMetrics;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.roles.DesiredState;
import io.pgha.roles.EtcdFacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's loop through whole scenarios, over the DCS kept in memory and a plan of plain files: no process, no
 * etcd. What each scenario asserts is what the loop reports, what it wrote, and what its steps saw.
 */
class AgentLoopTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String SPEC = TestSpecs.GUIDE_HOSTS + "postgres:\n  parameters: {work_mem: %s}\n";

    @TempDir
    Path temp;
    private final MemoryDcs dcs = new MemoryDcs();
    private final List<AgentState> published = new CopyOnWriteArrayList<>();
    private final List<Thread> loops = new ArrayList<>();
    private final List<AgentLoop> running = new ArrayList<>();
    private final RecordingStep first = new RecordingStep("first step");
    private final RecordingStep second = new RecordingStep("second step");

    /** Converges this host to one file that names the spec's work_mem and the superuser password. */
    private final class FilePlanner implements Planner {
        @Override
        public Set<Role> roles(Optional<ClusterSpec> spec) {
            return spec.flatMap(s -> s.host("pg1")).map(ClusterSpec.Host::roles).orElse(Set.of());
        }

        @Override
        public DesiredState plan(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets, EtcdFacts etcd,
                                 Optional<DataPhase> operation, Set<String> refusedAddresses) {
            String text = "work_mem=" + spec.map(s -> s.postgres().parameters().get("work_mem")).orElse("none")
                    + "\nsuperuser=" + secrets.flatMap(s -> s.get("superuser")).orElse("none") + "\n";
            return new DesiredState(roles(spec), List.of(FileResource.of(rendered(), text,
                    new Owner("root", "root", 0600))), List.of("planned by the test"), Map.of(), false, Set.of(),
                    Optional.empty());
        }
    }

    /** Records the passes it saw; fails while told to. */
    private static final class RecordingStep implements Step {
        private final String name;
        final List<Pass> passes = new CopyOnWriteArrayList<>();
        volatile boolean failing;

        RecordingStep(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean run(Pass pass) throws IOException {
            passes.add(pass);
            if (failing) {
                throw new IOException("boom");
            }
            return false;
        }
    }

    private Path rendered() {
        return temp.resolve("rendered.conf");
    }

    private static String spec(String workMem) {
        return SPEC.formatted(workMem);
    }

    private AgentLoop start(Duration drift) throws Exception {
        AgentConfig agent = AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml");
        AgentLoop loop = new AgentLoop(new AgentLoop.Parts("pg1", new ClusterSpecParser(agent), new FilePlanner(),
                new AgentMetrics(), EtcdKeeping.NONE, List.of(first, second), dcs, new EtcdOutage(),
                StateCache.spec(temp), StateCache.secrets(temp), drift), published::add);
        loop.loadCaches();
        Thread thread = new Thread(loop::run, "agent-loop-test");
        thread.start();
        loops.add(thread);
        running.add(loop);
        return loop;
    }

    @AfterEach
    void stop() throws InterruptedException {
        running.forEach(loop -> loop.post(new Event.Stop()));
        for (Thread t : loops) {
            t.join(WAIT.toMillis());
            assertTrue(!t.isAlive(), "the loop stops when asked");
        }
    }

    /** Waits for a published state that passes {@code test}; fails with the last one seen. */
    private AgentState awaitState(String what, Predicate<AgentState> test) throws InterruptedException {
        return await(what, () -> published.stream().filter(test).reduce((a, b) -> b),
                () -> published.isEmpty() ? "nothing" : published.get(published.size() - 1).toString());
    }

    private static <T> T await(String what, Supplier<Optional<T>> probe, Supplier<String> seen)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> found = probe.get();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what + "; last seen: " + seen.get());
    }

    private String file() throws IOException {
        return Files.exists(rendered()) ? Files.readString(rendered()) : "";
    }

    @Test
    void aNewSpecIsConvergedAppliedAndSeenByTheSteps() throws Exception {
        dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "s1")));
        long first = dcs.storeSpec(spec("4MB"));
        start(Duration.ofMinutes(10));
        awaitState("rev " + first + " applied", s -> s.appliedRevision() == first && s.convergeError().isEmpty());
        assertTrue(file().startsWith("work_mem=4MB\n"), file());
        assertEquals(List.of(Role.DATA), List.copyOf(published.get(published.size() - 1).roles()));

        long next = dcs.storeSpec(spec("8MB"));
        AgentState applied = awaitState("rev " + next + " applied", s -> s.appliedRevision() == next);
        assertTrue(file().startsWith("work_mem=8MB\n"), file());
        assertTrue(applied.warnings().contains("planned by the test"), applied.warnings().toString());
        Pass seen = await("a step saw rev " + next, () -> this.first.passes.stream()
                .filter(p -> p.spec().map(s -> s.postgres().parameters().get("work_mem")).orElse("").equals("8MB"))
                .findFirst(), () -> this.first.passes.toString());
        assertTrue(seen.run().converged(), seen.toString());
        assertEquals(this.first.passes.size(), second.passes.size(), "every step runs after every pass");
    }

    @Test
    void rotatedSecretsReachTheHostAndAreReportedInEffect() throws Exception {
        long rev = dcs.storeSpec(spec("4MB"));
        long old = dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "old")));
        start(Duration.ofMinutes(10));
        awaitState("secrets " + old + " in effect", s -> s.appliedRevision() == rev && s.secretsRevision() == old);
        assertTrue(file().contains("superuser=old\n"), file());

        long rotated = dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "new")));
        awaitState("secrets " + rotated + " in effect", s -> s.secretsRevision() == rotated);
        assertTrue(file().contains("superuser=new\n"), file());
        assertTrue(Files.readString(temp.resolve("secrets-cache.json")).contains("new"),
                "kept for an etcd outage");
    }

    @Test
    void withEtcdGoneTheHostKeepsItsSpecAndALoopStartedMeanwhileUsesTheCachedOne() throws Exception {
        dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "s1")));
        long rev = dcs.storeSpec(spec("4MB"));
        start(Duration.ofMillis(300));
        awaitState("rev " + rev + " applied", s -> s.appliedRevision() == rev);

        dcs.reachable(false);
        int before = first.passes.size();
        await("two more passes without etcd", () -> Optional.of(first.passes.size()).filter(n -> n >= before + 2),
                () -> first.passes.size() + " passes");
        AgentState during = published.get(published.size() - 1);
        assertEquals(rev, during.appliedRevision(), "the spec followed stays in effect");
        assertTrue(during.convergeError().isEmpty(), during.convergeError());
        assertTrue(file().startsWith("work_mem=4MB\n"), file());

        // An agent restarted while etcd is away converges what it cached.
        running.get(0).post(new Event.Stop());
        loops.get(0).join(WAIT.toMillis());
        Files.delete(rendered());
        published.clear();
        first.passes.clear();
        start(Duration.ofMinutes(10));
        awaitState("the cached rev " + rev + " applied again", s -> s.appliedRevision() == rev);
        assertTrue(file().startsWith("work_mem=4MB\n"), file());
        assertTrue(!first.passes.isEmpty() && first.passes.stream().allMatch(Pass::holdsOff), "not knowing whether the"
                + " cluster is paused, the steps start nothing a pause holds off: " + first.passes);

        dcs.reachable(true);
        long next = dcs.storeSpec(spec("16MB"));
        awaitState("rev " + next + " applied after etcd is back", s -> s.appliedRevision() == next);
        await("a pass that knows the cluster is not paused", () -> first.passes.stream()
                .filter(p -> !p.holdsOff()).findFirst(), () -> first.passes.toString());
    }

    @Test
    void aFailingStepIsReportedRetriedAndKeepsNoOtherStepFromRunning() throws Exception {
        dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "s1")));
        long rev = dcs.storeSpec(spec("4MB"));
        first.failing = true;
        start(Duration.ofMinutes(10));
        awaitState("the failing step reported", s -> s.convergeError().equals("first step: boom"));
        await("the failing pass tried again without news", () -> Optional.of(first.passes.size()).filter(n -> n >= 2),
                () -> first.passes.size() + " passes");
        assertTrue(second.passes.size() >= 1, "the step after the failing one still ran");
        assertEquals(rev, published.get(published.size() - 1).appliedRevision(), "the pass itself converged");

        first.failing = false;
        awaitState("the error gone once the step succeeds", s -> s.appliedRevision() == rev
                && s.convergeError().isEmpty());
    }

    @Test
    void anInvalidSpecIsRefusedAndTheLastValidOneStaysInEffect() throws Exception {
        dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "s1")));
        long rev = dcs.storeSpec(spec("4MB"));
        start(Duration.ofMinutes(10));
        awaitState("rev " + rev + " applied", s -> s.appliedRevision() == rev);
        long bad = dcs.storeSpec(spec("4MB").replace("role: lb", "role: loadbalancer"));
        AgentState refused = awaitState("rev " + bad + " refused", s -> s.specError().startsWith("spec rev " + bad
                + " refused, still following rev " + rev));
        assertEquals(rev, refused.followedRevision());
        assertEquals(bad, refused.refusedRevision(), "the refused revision is named beside the one followed");
        assertEquals(rev, refused.appliedRevision());
        assertTrue(file().startsWith("work_mem=4MB\n"), file());
    }

    @Test
    void aPauseReachesTheStepsAtOnceAndIsReportedUntilResumed() throws Exception {
        dcs.storeSecrets(ClusterSecrets.of(Map.of("superuser", "s1")));
        long rev = dcs.storeSpec(spec("4MB"));
        start(Duration.ofMinutes(10));
        awaitState("rev " + rev + " applied", s -> s.appliedRevision() == rev);
        io.pgha.model.Maintenance pause = new io.pgha.model.Maintenance("disk swap", 1_000, "ops1");
        dcs.putMaintenance(pause);
        awaitState("the pause reported", s -> s.maintenance().equals(Optional.of(pause)));
        await("a step ran with the pause, without waiting for the drift interval", () -> first.passes.stream()
                .filter(p -> p.maintenance().isPresent()).findFirst(), () -> first.passes.toString());
        dcs.deleteMaintenance();
        awaitState("the resume reported", s -> s.maintenance().isEmpty() && s.appliedRevision() == rev);
        await("a step ran after the resume", () -> Optional.of(first.passes.get(first.passes.size() - 1))
                .filter(p -> p.maintenance().isEmpty()), () -> first.passes.toString());
    }

    @Test
    void anErrorWithoutAMessageIsReportedByItsType() {
        assertEquals("java.lang.NullPointerException", AgentLoop.describe(new NullPointerException()));
        assertEquals("java.lang.IllegalStateException", AgentLoop.describe(new IllegalStateException(" ")));
        assertEquals("disk full", AgentLoop.describe(new IOException("disk full")));
    }
}
