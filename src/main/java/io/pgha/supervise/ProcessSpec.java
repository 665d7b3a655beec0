package io.pgha.supervise;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a supervised program runs.
 *
 * @param user          the account it runs as ("root" runs it without switching)
 * @param env           its entire environment: nothing of the agent's leaks in
 * @param restartDigest fingerprint of the inputs whose change needs a restart (config files)
 * @param reloadDigest  fingerprint of the inputs a reload picks up; empty when the program cannot reload
 * @param reloadSignal  the signal that makes the program re-read its configuration (HUP, or USR2 for HAProxy)
 * @param steps         done just before a start and just before a reload
 */
public record ProcessSpec(
        String name,
        String user,
        List<String> command,
        Map<String, String> env,
        Path workDir,
        Path logFile,
        String restartDigest,
        String reloadDigest,
        String reloadSignal,
        ProgramSteps steps) {

    public ProcessSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
    }

    public ProcessSpec(String name, String user, List<String> command, Map<String, String> env, Path workDir,
                       Path logFile, String restartDigest, String reloadDigest, String reloadSignal) {
        this(name, user, command, env, workDir, logFile, restartDigest, reloadDigest, reloadSignal,
                ProgramSteps.NONE);
    }

    public ProcessSpec withSteps(ProgramSteps programSteps) {
        return new ProcessSpec(name, user, command, env, workDir, logFile, restartDigest, reloadDigest, reloadSignal,
                programSteps);
    }
}
