package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.param.DateParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.param.TokenParamModifier;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.contract.Vocabulary;

/** Which searches the index walk takes (exactly the overdue-list shape) and which it leaves to HAPI. */
class OverdueWorklistQueryTest {

    private static final String OWNER = Vocabulary.OWNER_CARE_GIVER;
    private static final String UNIT = Vocabulary.OWNER_CARE_UNIT;

    private final OverdueWorklistQuery query =
            new OverdueWorklistQuery(new PartitionSettings(), new JpaStorageSettings());

    private static SearchParameterMap overdue(String due) {
        SearchParameterMap params = new SearchParameterMap()
                .add("next-step-due", new DateParam(due))
                .add("status", new TokenParam("active"));
        params.setSort(new SortSpec("next-step-due"));
        return params;
    }

    private Optional<OverdueWorklistQuery.Walk> plan(SearchParameterMap params) {
        return query.plan("CarePlan", params, RequestPartitionId.allPartitions());
    }

    @Test
    void theOverdueListIsWalkedUpToTheDayBeforeALessThanBound() {
        assertThat(plan(overdue("lt2026-12-01")))
                .hasValueSatisfying(walk -> assertThat(walk.lastOrdinal()).isEqualTo(20261130));
        assertThat(plan(overdue("le2026-12-01")))
                .hasValueSatisfying(walk -> assertThat(walk.lastOrdinal()).isEqualTo(20261201));
        assertThat(plan(overdue("lt2027-01-01")))
                .hasValueSatisfying(walk -> assertThat(walk.lastOrdinal()).isEqualTo(20261231));
    }

    @Test
    void beforeTheFirstDayOfYearZeroNothingPasses() {
        assertThat(plan(overdue("lt0000-01-01")))
                .hasValueSatisfying(walk -> assertThat(walk.lastOrdinal()).isLessThan(101));
        assertThat(plan(overdue("le0000-01-01")))
                .hasValueSatisfying(walk -> assertThat(walk.lastOrdinal()).isEqualTo(101));
        assertThat(plan(overdue("lt9999-12-31")))
                .hasValueSatisfying(walk -> assertThat(walk.lastOrdinal()).isEqualTo(99991230));
    }

    @Test
    void withoutAStatusAnyStatusMatches() {
        SearchParameterMap params = overdue("lt2026-12-01");
        params.remove("status");

        assertThat(plan(params))
                .hasValueSatisfying(walk -> assertThat(walk.statusHashes()).isEmpty());
    }

    @Test
    void theCareGiversNarrowingIsWalkedToo() {
        SearchParameterMap narrowed = overdue("lt2026-12-01")
                .add("_security", new TokenParam(OWNER, "SE2321000032-kalmar"))
                .add("_security", new TokenParam(UNIT, "SE2321000032-a"));

        assertThat(plan(narrowed)).hasValueSatisfying(walk -> assertThat(walk.labels())
                .extracting(group -> group.get(0).getSystem())
                .containsExactly(OWNER, UNIT));
    }

    @Test
    void aLabelWithoutItsSystemOrWithAModifierIsLeftToHapi() {
        assertThat(plan(overdue("lt2026-12-01").add("_security", new TokenParam("SE2321000032-kalmar"))))
                .as("code only")
                .isEmpty();
        assertThat(plan(overdue("lt2026-12-01")
                        .add(
                                "_security",
                                new TokenParam(OWNER, "SE2321000032-kalmar").setModifier(TokenParamModifier.NOT))))
                .as(":not")
                .isEmpty();

        JpaStorageSettings inline = new JpaStorageSettings();
        inline.setTagStorageMode(JpaStorageSettings.TagStorageModeEnum.INLINE);
        assertThat(new OverdueWorklistQuery(new PartitionSettings(), inline)
                        .plan(
                                "CarePlan",
                                overdue("lt2026-12-01").add("_security", new TokenParam(OWNER, "SE2321000032-kalmar")),
                                RequestPartitionId.allPartitions()))
                .as("labels stored inline")
                .isEmpty();
    }

    @Test
    void everyOtherShapeIsLeftToHapi() {
        assertThat(plan(overdue("ge2026-12-01"))).as("lower bound").isEmpty();
        assertThat(plan(overdue("2026-12-01"))).as("equals").isEmpty();
        assertThat(plan(overdue("lt2026-12-01T10:00:00Z"))).as("time of day").isEmpty();

        SearchParameterMap descending = overdue("lt2026-12-01");
        descending.setSort(new SortSpec("next-step-due", SortOrderEnum.DESC));
        assertThat(plan(descending)).as("descending").isEmpty();

        SearchParameterMap unsorted = overdue("lt2026-12-01");
        unsorted.setSort(null);
        assertThat(plan(unsorted)).as("unsorted").isEmpty();

        SearchParameterMap narrowed = overdue("lt2026-12-01").add("subject", new ReferenceParam("Patient/1"));
        assertThat(plan(narrowed)).as("another parameter").isEmpty();

        SearchParameterMap twoBounds = overdue("lt2026-12-01").add("next-step-due", new DateParam("ge2026-11-01"));
        assertThat(plan(twoBounds)).as("two bounds").isEmpty();

        SearchParameterMap notActive = overdue("lt2026-12-01");
        notActive.remove("status");
        notActive.add("status", new TokenParam("active").setModifier(TokenParamModifier.NOT));
        assertThat(plan(notActive)).as(":not").isEmpty();

        SearchParameterMap withSystem = overdue("lt2026-12-01");
        withSystem.remove("status");
        withSystem.add("status", new TokenParam("http://hl7.org/fhir/request-status", "active"));
        assertThat(plan(withSystem)).as("system|code").isEmpty();

        SearchParameterMap offset = overdue("lt2026-12-01");
        offset.setOffset(20);
        assertThat(plan(offset)).as("_offset").isEmpty();

        assertThat(query.plan("Goal", overdue("lt2026-12-01"), RequestPartitionId.allPartitions()))
                .as("another type")
                .isEmpty();

        PartitionSettings partitioned = new PartitionSettings().setPartitioningEnabled(true);
        assertThat(new OverdueWorklistQuery(partitioned, new JpaStorageSettings())
                        .plan("CarePlan", overdue("lt2026-12-01"), RequestPartitionId.allPartitions()))
                .as("partitioned")
                .isEmpty();
    }
}
