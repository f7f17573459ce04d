package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.security.SmartScope.Context;
import se.patientkontrakt.fhir.security.SmartScope.Interaction;

class SmartScopeTest {

    @Test
    void v1ReadGrantsReadAndSearch() {
        assertThat(SmartScope.parse("patient/CarePlan.read"))
                .contains(
                        new SmartScope(Context.PATIENT, "CarePlan", EnumSet.of(Interaction.READ, Interaction.SEARCH)));
    }

    @Test
    void v1WriteGrantsCreateUpdateAndDelete() {
        assertThat(SmartScope.parse("user/*.write").orElseThrow().interactions())
                .containsExactlyInAnyOrder(Interaction.CREATE, Interaction.UPDATE, Interaction.DELETE);
    }

    @Test
    void v1StarGrantsEverything() {
        assertThat(SmartScope.parse("system/Patient.*").orElseThrow().interactions())
                .containsExactlyInAnyOrder(Interaction.values());
    }

    @Test
    void v2LettersGrantExactlyWhatTheyName() {
        SmartScope scope = SmartScope.parse("patient/CarePlan.rs").orElseThrow();

        assertThat(scope.interactions()).containsExactlyInAnyOrder(Interaction.READ, Interaction.SEARCH);
        assertThat(scope.covers("CarePlan")).isTrue();
        assertThat(scope.covers("Goal")).isFalse();
        assertThat(SmartScope.parse("system/*.cruds").orElseThrow().interactions())
                .containsExactlyInAnyOrder(Interaction.values());
        assertThat(SmartScope.parse("user/CarePlan.u").orElseThrow().interactions())
                .containsExactly(Interaction.UPDATE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "openid",
                "fhirUser",
                "launch/patient",
                "offline_access",
                "patient/CarePlan.sr",
                "patient/CarePlan.rr",
                "patient/CarePlan.x",
                "patient/CarePlan.",
                "admin/CarePlan.read",
                "patient/careplan.read",
                "patient/CarePlan.rs?category=http://example.org|x",
                "patient/CarePlan.read extra"
            })
    void anythingElseIsNoResourceScope(String scope) {
        assertThat(SmartScope.parse(scope)).isEmpty();
    }

    @Test
    void parseAllKeepsOnlyResourceScopes() {
        assertThat(SmartScope.parseAll(List.of("openid", "patient/*.read", "launch/patient", "user/Goal.c")))
                .extracting(SmartScope::resourceType)
                .containsExactly("*", "Goal");
    }
}
