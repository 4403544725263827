package io.tidemark.mart.model;

import java.time.LocalDate;

/** Distinct users over the 1, 7 and 30 UTC days ending on {@code date}, inclusive. */
public record ActiveUsers(LocalDate date, long dau, long wau, long mau) {
}
