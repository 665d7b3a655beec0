package io.pgha.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;

/** grpc (inside jetcd) logs through java.util.logging straight to stderr; send it through logback instead. */
final class Logging {
    private Logging() {
    }

    static void routeJulToSlf4j() {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }
}
