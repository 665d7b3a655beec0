package io.pgha.model;

import static io.pgha.model.SpecAssertions.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The spec's pooler section: on the lb hosts, on a port of its own, in a pool mode that keeps transactions whole. */
class PoolerSpecTest {
    private final ClusterSpecParser parser = ClusterSpecParser.standalone();

    private ClusterSpec parse(String text) throws InvalidSpecException {
        return parser.parse(text, "cluster.yml");
    }

    @Test
    void defaultsServeEveryDatabaseInTransactionMode() throws Exception {
        assertEquals(Optional.of(new ClusterSpec.Pooler(6432, "transaction", 20, 1000, List.of())),
                parse(TestSpecs.GUIDE_HOSTS + "pooler: {}\n").pooler());
        assertEquals(Optional.empty(), parse(TestSpecs.GUIDE_HOSTS).pooler());
    }

    @Test
    void everyFieldIsRead() throws Exception {
        ClusterSpec spec = parse(TestSpecs.GUIDE_HOSTS + "pooler: {port: 6543, pool_mode: session,"
                + " default_pool_size: 5, max_client_conn: 200, databases: [app, reports]}\n");
        assertEquals(new ClusterSpec.Pooler(6543, "session", 5, 200, List.of("app", "reports")),
                spec.pooler().orElseThrow());
    }

    @Test
    void aPoolerWithoutLbHostsIsRefused() {
        String noLb = TestSpecs.GUIDE_HOSTS.replace("  lb1: {address: 10.0.2.1, role: lb}\n", "");
        assertRefused(() -> parse(noLb + "pooler: {}\n"), "pooler",
                "no host has role lb: the pooler runs on the lb hosts, in front of HAProxy");
    }

    @Test
    void portsAndModesThatCannotWorkAreNamed() {
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {port: 5000}\n"), "pooler.port",
                "port 5000 is HAProxy's");
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {port: 8010}\n"), "pooler.port",
                "the agent's HTTP endpoint");
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {pool_mode: statement}\n"), "pooler.pool_mode",
                "statement pooling ends a server connection's use after each statement");
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {pool_mode: sessions}\n"), "pooler.pool_mode",
                "expected transaction or session, found 'sessions'");
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {default_pool_size: 0}\n"),
                "pooler.default_pool_size", "");
    }

    @Test
    void databaseNamesMustBeSafeInPgbouncerIniAndNotItsConsole() {
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {databases: ['app = host=evil']}\n"),
                "pooler.databases[0]", "expected a database name of letters, digits and '_'");
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {databases: [app, pgbouncer]}\n"),
                "pooler.databases[1]", "the pooler's admin console");
        assertRefused(() -> parse(TestSpecs.GUIDE_HOSTS + "pooler: {databases: [app, app]}\n"),
                "pooler.databases[1]", "listed twice");
    }
}
