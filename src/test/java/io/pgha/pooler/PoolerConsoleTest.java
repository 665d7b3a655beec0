package io.pgha.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class PoolerConsoleTest {
    @Test
    void showListsCountsClientsButNotTheConsoleItself() throws Exception {
        String rows = """
                databases|2
                users|3
                pools|2
                free_clients|47
                used_clients|5
                login_clients|1
                free_servers|2
                used_servers|3
                dns_names|0
                """;
        assertEquals(new PoolerConsole.Lists(5, 5), PoolerConsole.lists(rows));
    }

    @Test
    void anAnswerWithoutTheListsIsAnError() {
        IOException e = assertThrows(IOException.class, () -> PoolerConsole.lists("psql: error: connection refused"));
        assertTrue(e.getMessage().contains("expected used_clients"), e.getMessage());
    }

    @Test
    void theAdminPasswordFollowsTheHostKeyAndShowsNothingOfIt() {
        String a = PoolerConsole.adminPassword("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertEquals(a, PoolerConsole.adminPassword("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
        assertNotEquals(a, PoolerConsole.adminPassword("-----BEGIN PRIVATE KEY-----\nAAAB\n-----END PRIVATE KEY-----\n"));
        assertTrue(a.matches("[0-9a-f]{64}"), a);
    }
}
