package io.pgha.runtime;

import org.slf4j.bridge.SLF4JBridgeHandler;

/** grpc (inside jetcd) logs through java.util.logging straight to stderr; send it through logback instead. */
public final class Logging {
    private Logging() {
    }

    public static void routeJulToSlf4j() {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }
}
