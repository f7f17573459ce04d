package se.patientkontrakt.fhir.followup;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * The reporting period of {@code $evaluate-measure}, both ends included, from the operation's
 * {@code periodStart} and {@code periodEnd}. As FHIR {@code date} values they may be a year
 * ({@code 2026}), a month ({@code 2026-03}) or a day; a start means the first day of it and an
 * end the last, so {@code periodStart=2026&periodEnd=2026} is the whole year.
 */
record ReportPeriod(LocalDate start, LocalDate end) {

    private static final Pattern FHIR_DATE = Pattern.compile("\\d{4}(-\\d{2}(-\\d{2})?)?");

    static ReportPeriod parse(String start, String end) {
        LocalDate from = parse("periodStart", start, false);
        LocalDate to = parse("periodEnd", end, true);
        if (to.isBefore(from)) {
            throw new InvalidRequestException(
                    "periodEnd (" + end + ") is before periodStart (" + start + "); the period must not be reversed");
        }
        return new ReportPeriod(from, to);
    }

    private static LocalDate parse(String name, String value, boolean lastDay) {
        if (value == null || value.isBlank()) {
            throw new InvalidRequestException("Parameter " + name
                    + " is required: a date such as 2026-01-01 (or a month 2026-01, or a year 2026)");
        }
        String text = value.trim();
        if (!FHIR_DATE.matcher(text).matches()) {
            throw new InvalidRequestException(
                    "Parameter " + name + " is not a date (YYYY, YYYY-MM or YYYY-MM-DD): '" + value + "'");
        }
        try {
            return switch (text.length()) {
                case 4 ->
                    lastDay ? LocalDate.of(Integer.parseInt(text), 12, 31) : LocalDate.of(Integer.parseInt(text), 1, 1);
                case 7 ->
                    lastDay
                            ? YearMonth.parse(text).atEndOfMonth()
                            : YearMonth.parse(text).atDay(1);
                default -> LocalDate.parse(text);
            };
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("Parameter " + name + " is not a valid date: '" + value + "'");
        }
    }
}
