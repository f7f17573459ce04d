package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reading HAPI's normalized query string back into parameters ({@link StoredSearches}). */
class StoredSearchesTest {

    @Test
    void repeatedNamesAreAndedUnescapedCommasOredAndEscapesUndone() {
        var parameters = StoredSearches.fromQueryString(
                "?_id=a,b&_security=https%3A%2F%2Fx.se%2Fowner%7CSE1&_security=sys%7Cone%5C%2Ctwo&subject=Patient%2F7");
        assertThat(parameters.get("_id")).containsExactly(Set.of("a", "b"));
        assertThat(parameters.get("_security"))
                .containsExactlyInAnyOrder(Set.of("https://x.se/owner|SE1"), Set.of("sys|one,two"));
        assertThat(parameters.get("subject")).containsExactly(Set.of("Patient/7"));
    }

    @Test
    void aPartitionPrefixAndAnEmptyQueryAreNoParameters() {
        assertThat(StoredSearches.fromQueryString("{\"partitionIds\":[null]}?")).isEmpty();
        assertThat(StoredSearches.fromQueryString("?_count=1").get("_count")).containsExactly(Set.of("1"));
    }
}
