package io.tidemark.faults;

import io.tidemark.testsupport.PrivateStack;

import java.nio.file.Path;

/**
 * The one private stack of this test JVM: started by the first IT that needs it and released when
 * the JVM exits (the launcher's reaper would stop it too, should the JVM be killed).
 */
final class SharedPrivateStack {

    private static PrivateStack stack;

    private SharedPrivateStack() {
    }

    static Path root() {
        return Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
    }

    /**
     * Started fresh for the first IT and handed as it is to the later ones: each IT that stops a server
     * starts it again before it ends (a failure that leaves one stopped has failed the build already).
     */
    static synchronized PrivateStack get(FaultSettings settings) {
        if (stack == null) {
            stack = settings.privateStack(root());
            stack.ensureFresh();
            PrivateStack started = stack;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "release-private-stack"));
        }
        return stack;
    }
}
