package io.pgha.cli;

import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.model.AgentConfig;
import io.pgha.model.InvalidSpecException;
import io.pgha.runtime.Installation;
import io.pgha.runtime.Logging;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code pghactl}: the operator's tool. Exit codes: 0 ok, 1 failure, 2 bad input. */
@Command(name = "pghactl", mixinStandardHelpOptions = true, versionProvider = AgentMain.Version.class,
        description = "Apply and inspect the pgha cluster spec.")
public final class CtlMain implements Runnable {
    /**
     * The commands, by the name each one's {@code @Command} gives it, in the order help lists them. Only the one a
     * command line names is added (see {@link #commandLine}).
     */
    static final Map<String, Class<?>> COMMANDS = commands(InitCommand.class, ValidateCommand.class,
            SecretCommand.class, ApplyCommand.class, GetCommand.class, StatusCommand.class, PlanCommand.class,
            SwitchoverCommand.class, PauseCommand.class, ResumeCommand.class, RestartCommand.class,
            ReinitCommand.class, FailoverCommand.class, HistoryCommand.class, LogsCommand.class, BackupCommand.class,
            RestoreCommand.class, HostCommand.class, AdminCommand.class, LabCommand.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int BAD_INPUT = 2;

    @Option(names = "--config", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "agent.yml naming the cluster and its etcd members (default: ${DEFAULT-VALUE})")
    Path config = AgentConfig.DEFAULT_PATH;

    @Option(names = "--endpoints", paramLabel = "URL", split = ",", scope = CommandLine.ScopeType.INHERIT,
            description = "etcd client URLs to use instead of agent.yml's members")
    List<String> endpoints;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("pgha.log.level", "WARN");
        Logging.routeJulToSlf4j();
        CommandLine cli = commandLine(args);
        // Bad input (agent.yml, a spec, an argument) is the user's to fix: its message as is, exit 2.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof BadInputException) {
                cmd.getErr().println(e.getMessage());
                return BAD_INPUT;
            }
            if (e instanceof DcsException.Unreachable) {
                cmd.getErr().println("pghactl: etcd unreachable: " + e.getMessage());
                return FAILURE;
            }
            cmd.getErr().println("pghactl: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return FAILURE;
        });
        int code = cli.execute(args);
        // System.exit does not flush a PrintWriter: output without a final newline (get spec) would be lost.
        cli.getOut().flush();
        cli.getErr().flush();
        System.exit(code);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /**
     * pghactl with the one command {@code args} names, or with all of them when it names none (help, a mistyped
     * command: picocli lists them). picocli reads a command's annotations, and loads what its fields need, when it is
     * added: a command line with all twenty took 0.15-0.19 s to build, with one 0.12-0.14 s (the rest is picocli's own
     * classes, whose Java 5 class files the class-data archive cannot hold).
     */
    public static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new CtlMain());
        Optional<String> named = commandNamed(cli.getCommandSpec(), args);
        COMMANDS.forEach((name, type) -> {
            if (named.isEmpty() || named.get().equals(name)) {
                cli.addSubcommand(name, type);
            }
        });
        return cli;
    }

    /**
     * Another command line run in the one {@code from} belongs to (its output, its handling of errors), as lab up
     * applies the lab's spec and shows the status: the command it names is added first when missing.
     */
    static int execute(CommandLine.Model.CommandSpec from, String... args) {
        CommandLine root = from.root().commandLine();
        commandNamed(root.getCommandSpec(), args).filter(name -> !root.getSubcommands().containsKey(name))
                .ifPresent(name -> root.addSubcommand(name, COMMANDS.get(name)).getSubcommands().get(name)
                        .setOut(root.getOut()).setErr(root.getErr()));
        return root.execute(args);
    }

    /**
     * The first argument that is not one of {@code root}'s options or such an option's value (given apart, as in
     * {@code --config FILE}), when it is a command's name.
     */
    static Optional<String> commandNamed(CommandLine.Model.CommandSpec root, String... args) {
        for (int i = 0; i < args.length; i++) {
            CommandLine.Model.OptionSpec option = root.findOption(args[i]);
            if (option != null && option.arity().max() > 0) {
                i++;
            } else if (!args[i].startsWith("-")) {
                return COMMANDS.containsKey(args[i]) ? Optional.of(args[i]) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static Map<String, Class<?>> commands(Class<?>... types) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> type : types) {
            byName.put(type.getAnnotation(Command.class).name(), type);
        }
        return java.util.Collections.unmodifiableMap(byName);
    }

    /**
     * agent.yml, or an exception whose message says what is wrong and where (exit 2). Without /etc/pgha-agent/agent.yml
     * but with a lab up, the lab's.
     */
    AgentConfig agentConfig() throws BadInputException {
        Path file = config;
        if (file.equals(AgentConfig.DEFAULT_PATH) && !Files.exists(file)) {
            file = LabCommand.labAgentYml().orElse(file);
        }
        try {
            return AgentConfig.load(file);
        } catch (InvalidSpecException e) {
            throw new BadInputException(e.describe());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException("cannot read " + file + ": no such file (pass --config FILE to use another"
                    + " agent.yml, or bring up a lab with " + Installation.ctl() + " lab up)");
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage()
                    + " (pass --config FILE to use another agent.yml)");
        }
    }

    /** etcd as admin: the certificate pghactl init made (admin.crt, admin.key next to agent.yml). */
    EtcdDcs dcs(AgentConfig agent) throws IOException {
        return dcs(agent, adminTls(agent));
    }

    /** etcd as {@code tls} says (a host's own agent certificate, for what its agent may read). */
    EtcdDcs dcs(AgentConfig agent, TlsFiles tls) throws IOException {
        return EtcdDcs.forCommand(agent.cluster(),
                endpoints == null || endpoints.isEmpty() ? agent.clientUrls() : endpoints, Duration.ofSeconds(5), tls);
    }

    public static TlsFiles adminTls(AgentConfig agent) {
        return new TlsFiles(agent.caCertificate(), agent.adminCertificate(), agent.adminKey());
    }

    /** agent.yml if one is given or present (a workstation may have none), else empty. */
    Optional<AgentConfig> agentConfigIfAny() throws BadInputException {
        boolean given = !config.equals(AgentConfig.DEFAULT_PATH);
        if (given || Files.exists(config) || LabCommand.labAgentYml().isPresent()) {
            return Optional.of(agentConfig());
        }
        return Optional.empty();
    }

    static void checkTimeout(int seconds) throws BadInputException {
        if (seconds <= 0) {
            throw new BadInputException("--timeout: expected a number of seconds above 0, found " + seconds);
        }
    }

    /** Exit 2 with {@code problem}'s text when there is one. */
    static void badInput(Optional<String> problem) throws BadInputException {
        if (problem.isPresent()) {
            throw new BadInputException(problem.get());
        }
    }

    /** A command's --json answer: one pretty-printed document on standard output. */
    static void printJson(CommandLine.Model.CommandSpec spec, Object value) throws IOException {
        out(spec).println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
    }

    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    static PrintWriter err(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getErr();
    }

    /** Input the user must fix: printed as is, exit code 2. */
    static final class BadInputException extends Exception {
        BadInputException(String message) {
            super(message);
        }
    }
}
