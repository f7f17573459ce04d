package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.jpa.searchparam.extractor.SearchParamExtractorR4;
import java.time.Clock;
import java.time.LocalDate;
import org.hl7.fhir.instance.model.api.IBase;

/**
 * HAPI's R4 search parameter extractor, with FHIRPath's {@code today()} meaning the day in Sweden
 * by the server's {@link Clock}. The fixed-contact search parameters ({@code fast-vardkontakt},
 * {@code fast-lakarkontakt}) index only the participants in force today; the engine HAPI evaluates
 * them with takes today from the JVM's time zone, which on a server is usually UTC: from midnight
 * until one or two in the morning it would still be yesterday. The expression is evaluated with
 * today written in as a date literal, so the index, the measures and the pages ({@code inForce} in
 * {@code sidor/fhir.js}) agree on the day, and tests can set the clock. Links are still recorded
 * under the search parameter's own expression (HAPI passes it, not this text, to the index).
 *
 * <p>It takes the place of HAPI's bean {@code searchParamExtractor} (defined in its {@code
 * SearchParamConfig}), by name ({@link HapiBeans}), so that every user of the extractor (writes,
 * reindexing, in-memory matching) gets it. {@link FixedContactReindex} re-indexes, each night,
 * the teams whose participants' periods began or ended since the index was made.
 */
class SwedishDaySearchParamExtractor extends SearchParamExtractorR4 {

    private final Clock clock;

    SwedishDaySearchParamExtractor(Clock clock) {
        this.clock = clock;
    }

    @Override
    public IValueExtractor getPathValueExtractor(IBase resource, String path) {
        if (!SwedishToday.asksForToday(path)) {
            return super.getPathValueExtractor(resource, path);
        }
        // HAPI caches the parsed expression by its text: one entry a day.
        return super.getPathValueExtractor(resource, SwedishToday.writtenFor(path, LocalDate.now(clock)));
    }
}
