package io.pgha.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Versioned;
import io.pgha.lab.Lab;
import io.pgha.lab.LabApp;
import io.pgha.lab.LabImage;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabStatuses;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostStatus;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.Role;
import io.pgha.probe.EtcdHealth;
import io.pgha.runtime.Installation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "The guide's seven-host topology on this machine, one network namespace per host.",
        subcommands = {LabCommand.Up.class, LabCommand.Down.class, LabCommand.Exec.class, LabCommand.Kill.class,
                LabCommand.Start.class, LabCommand.Cut.class, LabCommand.Heal.class, LabCommand.Image.class})
final class LabCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** The lab's first etcd host's agent.yml: pghactl's configuration while a lab is up and no agent.yml exists. */
    static Optional<Path> labAgentYml() {
        return labAgentYml(LabPlan.standard(0, 0).hosts().get(0).name());
    }

    /** A host's agent.yml in the lab that is up, if it has that host. */
    static Optional<Path> labAgentYml(String host) {
        LabPlan plan = LabPlan.standard(9, 9, LabPlan.Os.LOCAL, 9).withBackupHost(LabPlan.BACKUP_ADDRESS);
        if (plan.hosts().stream().noneMatch(h -> h.name().equals(host))) {
            return Optional.empty();
        }
        Path yml = plan.agentYml(plan.host(host));
        return Files.exists(new Lab(plan, Path.of("/")).stateFile()) && Files.exists(yml) ? Optional.of(yml)
                : Optional.empty();
    }

    /** The agent launcher next to this pghactl: a checkout's daemon/, else the installed one. */
    static Path agentLauncher() {
        Optional<Path> home = Optional.ofNullable(System.getenv("PGHA_HOME")).map(Path::of);
        return home.map(h -> h.resolve("daemon/pgha-agent")).filter(Files::isExecutable)
                .orElse(Path.of("/usr/bin/pgha-agent"));
    }

    /** The newest .deb that packaging/deb/build-deb made in this checkout. */
    static Optional<Path> builtDeb() throws IOException {
        Path dir = Path.of(Optional.ofNullable(System.getenv("PGHA_HOME")).orElse(".")).resolve("target/deb");
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("pgha-agent_.*_all\\.deb"))
                    .max(java.util.Comparator.comparing(f -> f.toFile().lastModified()));
        }
    }

    /** What runs the agent on the recorded lab's hosts: the launcher, or for booted hosts the .deb. */
    private static Path agentSource(LabPlan plan) throws IOException {
        return plan.os().booted() ? builtDeb().orElse(Path.of("/nonexistent.deb")) : agentLauncher();
    }

    /**
     * The lab on disk as it was made: its kind of host and as many data and lb hosts as it has, so that down and
     * exec reach all of them; the widest LOCAL plan when none is up.
     */
    static LabPlan recordedPlan() throws IOException {
        LabPlan widest = LabPlan.standard(9, 9);
        Lab probe = new Lab(widest, Path.of("/"));
        if (!probe.exists()) {
            return widest;
        }
        JsonNode state = JSON.readTree(Files.readString(probe.stateFile()));
        int data = 0;
        int lb = 0;
        int spares = 0;
        for (var it = state.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            data += name.startsWith("pg") ? 1 : 0;
            lb += name.startsWith("lb") ? 1 : 0;
            spares += name.startsWith("spare") ? 1 : 0;
        }
        LabPlan.Os os = LabPlan.Os.valueOf(state.path("os").asText(LabPlan.Os.LOCAL.name()));
        JsonNode shape = state.path("shape");
        if (shape.isObject()) {
            data = shape.path("data").asInt(data);
            lb = shape.path("lb").asInt(lb);
            spares = shape.path("spares").asInt(spares);
        }
        LabPlan plan = LabPlan.standard(Math.max(data, 1), lb, os, spares);
        return state.has(LabPlan.BACKUP_HOST) ? plan.withBackupHost(LabPlan.BACKUP_ADDRESS) : plan;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Create the hosts, start an agent on each, apply an example spec, wait until healthy.")
    static final class Up implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--data", defaultValue = "3", description = "data hosts (default: ${DEFAULT-VALUE})")
        int dataHosts;

        @Option(names = "--lb", defaultValue = "1", description = "lb hosts (default: ${DEFAULT-VALUE})")
        int lbHosts;

        @Option(names = "--guide-timers", description = "the seed guide's Patroni timers (ttl 30, loop_wait 10, retry 10)")
        boolean guideTimers;

        @Option(names = "--sync", arity = "0..1", fallbackValue = "true", paramLabel = "quorum",
                description = "Patroni synchronous mode: no acknowledged write is lost on failover; --sync quorum:"
                        + " quorum commit (Patroni 4.0 and later), any standby that holds a commit may be promoted")
        String synchronous;

        @Option(names = "--strict", description = "with --sync: synchronous_mode_strict (commits wait rather than go on"
                + " unreplicated when no synchronous standby is left)")
        boolean strict;

        @Option(names = "--fast-failover", description = "with --sync: patroni.fast_failover, a dead leader replaced"
                + " once a quorum of the other hosts' agents has seen it unreachable for 3 s, before its lease"
                + " runs out")
        boolean fastFailover;

        @Option(names = "--spare", defaultValue = "0", description = "hosts with an agent and no role (spare1 ...), to"
                + " add or replace an etcd member or a data host by editing the spec (default: ${DEFAULT-VALUE})")
        int spares;

        @Option(names = "--backup", description = "a pgBackRest repository host (" + LabPlan.BACKUP_HOST + ", "
                + LabPlan.BACKUP_ADDRESS + ") and the spec's backup section: WAL archiving, scheduled backups and"
                + " restore drills")
        boolean backup;

        @Option(names = "--timeout", defaultValue = "300", description = "seconds to wait for a healthy cluster")
        int timeoutSeconds;

        @Option(names = "--os", description = "trixie (Debian 13) or forky (Debian 14): each host a booted machine"
                + " (systemd-nspawn) with the .deb installed; default: agents on this machine with its packages")
        String os;

        @Option(names = "--postgres", paramLabel = "MAJOR", description = "the PostgreSQL major of the spec (default:"
                + " the platform's; --os forky also has 17, to try a major upgrade to 18)")
        Integer postgres;

        @Option(names = "--deb", description = "the .deb for --os (default: the newest in target/deb, which"
                + " daemon/pghactl builds)")
        Path deb;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = CtlMain.out(spec);
            String ctl = Installation.ctl();
            if (dataHosts < 1 || dataHosts > 9 || lbHosts < 0 || lbHosts > 9 || spares < 0 || spares > 9) {
                CtlMain.err(spec).println("--data: expected 1 to 9, --lb and --spare: expected 0 to 9; found "
                        + dataHosts + ", " + lbHosts + " and " + spares);
                return CtlMain.BAD_INPUT;
            }
            if (synchronous != null && !synchronous.equals("true") && !synchronous.equals("quorum")) {
                CtlMain.err(spec).println("--sync: expected no value or quorum, found '" + synchronous + "'");
                return CtlMain.BAD_INPUT;
            }
            if ((strict || fastFailover) && synchronous == null) {
                CtlMain.err(spec).println("--strict and --fast-failover: expected with --sync, found without");
                return CtlMain.BAD_INPUT;
            }
            Optional<LabPlan.Os> booted = os == null ? Optional.empty() : LabPlan.Os.named(os);
            if (os != null && booted.isEmpty()) {
                CtlMain.err(spec).println("--os: expected one of " + LabPlan.Os.names() + " (or no --os), found '" + os
                        + "'");
                return CtlMain.BAD_INPUT;
            }
            LabPlan plan = LabPlan.standard(dataHosts, lbHosts, booted.orElse(LabPlan.Os.LOCAL), spares);
            if (postgres != null) {
                try {
                    plan = plan.withPostgres(postgres);
                } catch (IllegalArgumentException e) {
                    CtlMain.err(spec).println("--postgres: " + e.getMessage());
                    return CtlMain.BAD_INPUT;
                }
            }
            if (backup) {
                plan = plan.withBackupHost(LabPlan.BACKUP_ADDRESS);
            }
            Path agent = agentLauncher();
            if (plan.os().booted()) {
                Optional<Path> found = deb != null ? Optional.of(deb) : builtDeb();
                if (found.isEmpty() || !Files.isReadable(found.get())) {
                    CtlMain.err(spec).println("--deb: expected a pgha-agent .deb, found "
                            + found.map(Path::toString).orElse("none in target/deb") + " (packaging/deb/build-deb"
                            + " makes one)");
                    return CtlMain.BAD_INPUT;
                }
                agent = found.get();
            }
            Lab lab = new Lab(plan, agent);
            if (lab.exists()) {
                out.println("a lab is already up (" + lab.stateFile() + "); nothing changed. " + ctl + " status shows it,"
                        + " " + ctl + " lab down removes it.");
                return CtlMain.OK;
            }
            long start = System.nanoTime();
            if (lab.image().isPresent()) {
                lab.image().get().ensure(out);
            }
            out.println("creating " + plan.hosts().size()
                    + (plan.os().booted() ? " " + plan.os().label() + " machines" : " hosts") + " on bridge "
                    + plan.bridge() + " (" + plan.network().orElseThrow() + ") under " + plan.baseDir());
            out.flush();
            lab.create(30);
            lab.startAll(plan.hosts());
            if (plan.os().booted()) {
                out.printf("  %5.1fs  %d machines booted, pgha-agent installed from %s and enabled%n",
                        (System.nanoTime() - start) / 1e9, plan.hosts().size(), agent.getFileName());
                out.flush();
            }
            out.println("started " + plan.hosts().size() + " agents; waiting for etcd");
            out.flush();
            EtcdHealth etcd = new EtcdHealth(Duration.ofSeconds(2), plan.adminTls().sslContext());
            long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
            for (String url : plan.clientUrls()) {
                while (!etcd.probe(url).healthy()) {
                    if (System.nanoTime() > deadline) {
                        CtlMain.err(spec).println("etcd at " + url + " not healthy within " + timeoutSeconds
                                + " s: " + etcd.probe(url).detail() + " (logs under " + plan.baseDir()
                                + "; " + ctl + " lab down removes the lab)");
                        return CtlMain.FAILURE;
                    }
                    Thread.sleep(200);
                }
            }
            if (!awaitMemberList(plan, deadline)) {
                CtlMain.err(spec).println("etcd is healthy but did not list its members within " + timeoutSeconds
                        + " s (logs under " + plan.baseDir() + "; " + ctl + " lab down removes the lab)");
                return CtlMain.FAILURE;
            }
            out.printf("etcd healthy after %.1f s%n", (System.nanoTime() - start) / 1e9);
            Path specFile = plan.baseDir().resolve("cluster.yml");
            Files.writeString(specFile, plan.specText(guideTimers ? LabPlan.GUIDE_TIMERS : LabPlan.RECOMMENDED_TIMERS,
                    synchronous == null ? "false" : synchronous, strict, fastFailover,
                    Map.of("max_connections", "100")));
            int applied = CtlMain.execute(spec, "--config", plan.agentYml(plan.hosts().get(0)).toString(), "apply",
                    "-f", specFile.toString());
            if (applied != CtlMain.OK) {
                return applied;
            }
            if (!awaitConverged(plan, out, start, deadline)) {
                CtlMain.err(spec).println("the cluster did not converge within " + timeoutSeconds + " s; "
                        + ctl + " status shows where it stands, agent logs are under " + plan.baseDir()
                        + "; " + ctl + " lab down removes the lab");
                return CtlMain.FAILURE;
            }
            out.printf("cluster healthy %.1f s after lab up%n%n", (System.nanoTime() - start) / 1e9);
            out.flush();
            CtlMain.execute(spec, "status");
            out.println();
            Optional<String> lb = entryAddress(plan);
            if (lb.isPresent()) {
                out.println("connect:  PGPASSWORD=$(" + ctl + " get secret superuser) psql -h " + lb.get()
                        + " -p 5000 -U postgres" + (plan.vip().isPresent() ? "   (the floating address)" : ""));
                out.println("replicas: same with -p 5001");
                if (plan.pooler()) {
                    try (Dcs dcs = labDcs(plan)) {
                        LabApp.ensure(plan, lb.get(), 5000, dcs.secrets().orElseThrow().value().get("superuser")
                                .orElseThrow());
                    }
                    out.println("pooler:   PGPASSWORD=$(cat " + LabApp.passwordFile(plan) + ") psql \"host=" + lb.get()
                            + " port=" + ClusterSpec.Pooler.DEFAULT_PORT + " user=" + LabApp.ROLE + " dbname="
                            + LabApp.ROLE + " sslmode=require\"   (PgBouncer; " + ctl + " switchover pauses it)");
                }
            } else {
                out.println("connect:  no lb host: psql -h <the leader's address, see PG-ROLE above> -p 5432 -U postgres,"
                        + " password from " + ctl + " get secret superuser");
            }
            out.println("spec:     " + specFile + " (edit, then " + ctl + " apply -f it)");
            out.println("on host:  " + ctl + " lab exec pg1 -- " + (plan.os().booted()
                    ? "systemctl status pgha-agent" : "ip -br addr"));
            out.println("status:   " + ctl + " status, " + ctl + " plan --host pg1, " + ctl + " switchover");
            if (backup) {
                out.println("backups:  " + ctl + " backup list, " + ctl + " backup run, " + ctl + " backup drill, "
                        + ctl + " restore --time \"$(date -Is)\""
                        + (spares > 0 ? "" : " --host " + LabPlan.BACKUP_HOST));
            }
            out.println("remove:   " + ctl + " lab down");
            return CtlMain.OK;
        }

        /** Where clients connect: the floating address, or else the first lb host's. */
        private static Optional<String> entryAddress(LabPlan plan) {
            Optional<String> vip = plan.vipAddress();
            return vip.isPresent() ? vip : plan.hostsWith(io.pgha.model.Role.LB).stream().findFirst()
                    .map(LabPlan.Host::address);
        }

        /** The lab's etcd as pghactl reaches it, with the first etcd host's agent.yml. */
        private static EtcdDcs labDcs(LabPlan plan) throws IOException {
            AgentConfig agent;
            try {
                agent = AgentConfig.load(plan.agentYml(plan.hosts().get(0)));
            } catch (InvalidSpecException e) {
                throw new IOException(e.describe());
            }
            return EtcdDcs.forCommand(agent.cluster(), agent.clientUrls(), Duration.ofSeconds(5), plan.adminTls());
        }

        /**
         * Until etcd answers the member list that apply starts with. A member is healthy as soon as the cluster has a
         * leader, but in the seconds after, every agent authenticates and the etcd hosts' agents write the users and
         * roles, all through raft on a disk this lab shares: apply's first call would find etcd too busy to answer.
         */
        private boolean awaitMemberList(LabPlan plan, long deadline) throws IOException, InterruptedException {
            try (EtcdDcs dcs = labDcs(plan)) {
                while (System.nanoTime() < deadline) {
                    try {
                        dcs.admin().members();
                        return true;
                    } catch (DcsException e) {
                        Thread.sleep(500);
                    }
                }
            }
            return false;
        }

        /** Prints a line whenever a host's state changes; true once every host has converged at the spec revision. */
        private boolean awaitConverged(LabPlan plan, PrintWriter out, long start, long deadline)
                throws InterruptedException, IOException, InvalidSpecException {
            Map<String, String> last = new LinkedHashMap<>();
            try (Dcs dcs = labDcs(plan)) {
                while (System.nanoTime() < deadline) {
                    try {
                        long revision = dcs.spec().map(Versioned::modRevision).orElse(0L);
                        Map<String, HostStatus> statuses = new LinkedHashMap<>();
                        for (HostStatus s : dcs.hostStatuses().readable().values()) {
                            statuses.put(s.host(), s);
                        }
                        boolean all = true;
                        for (LabPlan.Host host : plan.hosts()) {
                            HostStatus s = statuses.get(host.name());
                            boolean done = s != null && s.converged() && s.specRevision() == revision;
                            all &= done;
                            String line = s == null ? "starting" : done ? "converged" : progress(s);
                            if (!line.equals(last.get(host.name()))) {
                                out.printf("  %5.1fs  %-6s %-4s %s%n", (System.nanoTime() - start) / 1e9, host.name(),
                                        Role.join(host.roles()), StatusCommand.cell(line));
                                out.flush();
                                last.put(host.name(), line);
                            }
                        }
                        if (all && plan.vip().isPresent()) {
                            java.util.List<String> holders = LabStatuses.vipHolders(dcs);
                            all = holders.size() == 1;
                            String line = holders.isEmpty() ? "held by none yet" : "held by " + String.join(",", holders);
                            if (!line.equals(last.get("vip"))) {
                                out.printf("  %5.1fs  floating address %s %s%n", (System.nanoTime() - start) / 1e9,
                                        plan.vip().get(), line);
                                last.put("vip", line);
                            }
                        }
                        if (all) {
                            return true;
                        }
                    } catch (DcsException e) {
                        // etcd busy: try again
                    }
                    Thread.sleep(500);
                }
            }
            return false;
        }

        private static String progress(HostStatus s) {
            if (!s.lastError().isEmpty()) {
                return "error: " + s.lastError().lines().findFirst().orElse("");
            }
            if (!s.problems().isEmpty()) {
                return "waiting: " + s.problems().get(0).lines().findFirst().orElse("");
            }
            return "converging";
        }
    }

    @Command(name = "image", mixinStandardHelpOptions = true,
            description = "Build the image of booted machines (lab up --os builds it when missing); prints the package"
                    + " versions it has.")
    static final class Image implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--os", required = true, description = "trixie (Debian 13) or forky (Debian 14)")
        String os;

        @Override
        public Integer call() throws IOException {
            Optional<LabPlan.Os> booted = LabPlan.Os.named(os);
            if (booted.isEmpty()) {
                CtlMain.err(spec).println("--os: expected one of " + LabPlan.Os.names() + ", found '" + os + "'");
                return CtlMain.BAD_INPUT;
            }
            LabImage image = new LabImage(LabPlan.IMAGES, booted.get());
            PrintWriter out = CtlMain.out(spec);
            image.ensure(out);
            out.println(booted.get().label() + " image in " + image.dir() + ": " + image.describeRecorded());
            return CtlMain.OK;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop the lab's agents and programs and remove its hosts, wires and files.")
    static final class Down implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--purge", description = "also remove the cached images of booted machines (--os builds"
                + " them again, 2 to 4 minutes each)")
        boolean purge;

        @Override
        public Integer call() throws IOException {
            LabPlan recorded = recordedPlan();
            Lab lab = new Lab(recorded, agentSource(recorded));
            boolean wires = lab.network().orElseThrow().exists();
            PrintWriter out = CtlMain.out(spec);
            if (!lab.exists() && !wires) {
                out.println("no lab is up; nothing to remove");
            } else {
                lab.destroy();
                out.println("lab removed: agents, etcd, Patroni, PostgreSQL and HAProxy stopped"
                        + (recorded.os().booted() ? ", machines powered off and their disks removed" : "")
                        + "; namespaces, bridge, route and the lab's files in " + recorded.baseDir() + " gone");
            }
            for (LabPlan.Os os : LabPlan.Os.values()) {
                if (!os.booted()) {
                    continue;
                }
                LabImage image = new LabImage(LabPlan.IMAGES, os);
                if (purge) {
                    image.remove();
                } else if (image.isBuilt()) {
                    out.println("kept: the " + os.label() + " image in " + image.dir() + " for the next lab up --os "
                            + os.suite() + " (lab down --purge removes it)");
                }
            }
            if (purge) {
                Files.deleteIfExists(LabPlan.IMAGES);
                Files.deleteIfExists(recorded.baseDir());
                out.println("image cache " + LabPlan.IMAGES + " removed");
            }
            return CtlMain.OK;
        }
    }

    /** Why a command for one lab host cannot run (no lab up, no such host), said on stderr: its exit code. */
    private static Optional<Integer> refusedHost(CommandLine.Model.CommandSpec spec, Lab lab, String host) {
        if (!lab.exists()) {
            CtlMain.err(spec).println("no lab is up (" + Installation.ctl() + " lab up makes one)");
            return Optional.of(CtlMain.FAILURE);
        }
        if (lab.plan().hosts().stream().noneMatch(h -> h.name().equals(host))) {
            CtlMain.err(spec).println("host: expected one of " + lab.plan().hosts().stream().map(LabPlan.Host::name)
                    .toList() + ", found '" + host + "'");
            return Optional.of(CtlMain.BAD_INPUT);
        }
        return Optional.empty();
    }

    /** A fault injected on one lab host by hand, as the drills inject it. */
    abstract static class Fault implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(index = "0", description = "the lab host, e.g. pg1")
        String host;

        @Override
        public Integer call() throws Exception {
            LabPlan plan = recordedPlan();
            Lab lab = new Lab(plan, agentSource(plan));
            Optional<Integer> refused = refusedHost(spec, lab, host);
            if (refused.isPresent()) {
                return refused.get();
            }
            CtlMain.out(spec).println(inject(lab, plan.host(host)));
            return CtlMain.OK;
        }

        /** Does it; says what was done. */
        abstract String inject(Lab lab, LabPlan.Host target) throws Exception;
    }

    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = "Power loss: kill -9 everything on a lab host at once (its agent, etcd, Patroni, Postgres,"
                    + " HAProxy); lab start HOST brings it back.")
    static final class Kill extends Fault {
        @Override
        String inject(Lab lab, LabPlan.Host target) throws Exception {
            lab.kill(target);
            return target.name() + ": every process killed (kill -9); " + Installation.ctl() + " lab start "
                    + target.name() + " boots it again";
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Bring a killed lab host back: its agent starts (on a booted lab the machine boots) and"
                    + " restarts what the spec gives the host.")
    static final class Start extends Fault {
        @Override
        String inject(Lab lab, LabPlan.Host target) throws Exception {
            if (lab.agent(target).isPresent()) {
                return target.name() + ": already running (agent pid " + lab.agent(target).get().pid() + ")";
            }
            lab.start(target);
            return target.name() + ": started; its agent converges it again (" + Installation.ctl() + " status)";
        }
    }

    @Command(name = "cut", mixinStandardHelpOptions = true,
            description = "Network partition: the lab host can reach no other host (and none reach it); everything"
                    + " on it keeps running. lab heal HOST ends it.")
    static final class Cut extends Fault {
        @Override
        String inject(Lab lab, LabPlan.Host target) throws Exception {
            lab.network().orElseThrow().cut(target);
            return target.name() + ": cut off from the lab network; " + Installation.ctl() + " lab heal "
                    + target.name() + " ends the partition";
        }
    }

    @Command(name = "heal", mixinStandardHelpOptions = true, description = "End a lab host's network partition.")
    static final class Heal extends Fault {
        @Override
        String inject(Lab lab, LabPlan.Host target) throws Exception {
            lab.network().orElseThrow().heal(target);
            return target.name() + ": back on the lab network";
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = "Run a command on a lab host: inside its machine (a lab up --os), or in its network"
                    + " namespace.",
            footer = "e.g. pghactl lab exec pg1 -- systemctl status pgha-agent; pghactl lab exec pg1 -- patronictl -c"
                    + " /etc/pgha-agent/patroni.yml list")
    static final class Exec implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Parameters(index = "0", description = "the lab host, e.g. pg1")
        String host;

        @CommandLine.Parameters(index = "1..*", arity = "1..*", description = "the command and its arguments (after --)")
        java.util.List<String> command;

        @Override
        public Integer call() throws Exception {
            LabPlan plan = recordedPlan();
            Lab lab = new Lab(plan, agentSource(plan));
            Optional<Integer> refused = refusedHost(spec, lab, host);
            if (refused.isPresent()) {
                return refused.get();
            }
            java.util.List<String> argv = new java.util.ArrayList<>(lab.commandOn(plan.host(host)));
            argv.addAll(command);
            Process p = new ProcessBuilder(argv).inheritIO().start();
            return p.waitFor();
        }
    }
}
