package io.tidemark.local;

import java.util.Optional;

/** The process on whose behalf `ensure` starts servers, pinned by PID and start time against PID reuse. */
record Owner(long pid, long startMillis) {

    static Owner of(long pid) {
        ProcessHandle handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .orElseThrow(() -> new StackException("owner process " + pid + " is not running"));
        long start = startMillis(handle)
                .orElseThrow(() -> new StackException("cannot read the start time of owner process " + pid));
        return new Owner(pid, start);
    }

    static boolean alive(long pid, long startMillis) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .flatMap(Owner::startMillis)
                .map(start -> start == startMillis)
                .orElse(false);
    }

    private static Optional<Long> startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(java.time.Instant::toEpochMilli);
    }
}
