package se.patientkontrakt.fhir.bench;

/** Percentiles of recorded durations, by nearest rank over every sample (no histogram buckets). */
final class Percentiles {

    private Percentiles() {}

    /**
     * The nearest-rank percentile of ascending {@code sorted} values: the smallest value with at
     * least {@code percent} % of the samples at or below it.
     */
    static long of(long[] sorted, double percent) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
    }

    static String millis(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }
}
