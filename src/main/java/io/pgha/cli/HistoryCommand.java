package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.AgentConfig;
import io.pgha.postgres.LeaderHistory;
import io.pgha.postgres.Members;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "history", mixinStandardHelpOptions = true,
        description = "The leader changes, one per timeline: when, from and to whom, and why (switchover, failover,"
                + " early failover, restore), from Patroni's history and what pghactl and the agents recorded.")
final class HistoryCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "the rows as a JSON array")
    boolean json;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException {
        AgentConfig agent = ctl.agentConfig();
        try (Dcs dcs = ctl.dcs(agent)) {
            Members members = Members.stored(dcs, agent, CtlMain.adminTls(agent).sslContext());
            List<LeaderHistory.Row> rows = LeaderHistory.join(members.anyAnswering().history(), dcs.leaderChanges());
            if (json) {
                CtlMain.printJson(spec, rows.stream().map(r -> Map.of("timeline", r.timeline(), "at", time(r.at()),
                        "from", r.from(), "to", r.to(), "why", r.why(), "detail", r.detail())).toList());
                return CtlMain.OK;
            }
            PrintWriter out = CtlMain.out(spec);
            if (rows.isEmpty()) {
                out.println("no leader change: the first leader still leads, on timeline 1");
                return CtlMain.OK;
            }
            out.printf("%-9s %-21s %-12s %-12s %-15s %s%n", "TIMELINE", "AT (UTC)", "FROM", "TO", "WHY", "DETAIL");
            rows.forEach(r -> out.printf("%-9s %-21s %-12s %-12s %-15s %s%n", r.timeline() == 0 ? "-" : r.timeline(),
                    time(r.at()), r.from().isEmpty() ? "-" : r.from(), r.to().isEmpty() ? "-" : r.to(), r.why(),
                    r.detail()));
            return CtlMain.OK;
        }
    }

    private static String time(long at) {
        return at == 0 ? "-" : Instant.ofEpochMilli(at).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
