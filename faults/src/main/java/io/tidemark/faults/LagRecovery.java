package io.tidemark.faults;

import java.util.OptionalLong;

/**
 * Dedup's recovery from a fault, from {@link LagSampler}.
 *
 * @param peak            the raw topic's highest consumer lag from the fault on, in records
 * @param recoverySeconds seconds from the heal until the lag was back where it stood before the fault
 */
record LagRecovery(long peak, OptionalLong recoverySeconds) {
}
