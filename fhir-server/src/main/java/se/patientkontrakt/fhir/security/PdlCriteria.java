package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.util.UrlUtil;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * What a standing search (a Subscription's criteria) must hold for a care token under
 * Patientdatalagen: a notification is a read that no one weighs patient by patient, so criteria on
 * patient data watch only what the token's own care unit owns, which it may always read ({@code
 * _security=}{@value Vocabulary#OWNER_CARE_UNIT}{@code |<unit HSA-id>}), as its work-list
 * searches across patients are narrowed ({@link CareView}).
 */
public final class PdlCriteria {

    private PdlCriteria() {}

    /** What is wrong with these criteria for this token, if anything. */
    public static Optional<String> problem(AccessToken token, PdlProperties pdl, String criteria) {
        if (!pdl.enabled()
                || token.patientToken()
                || token.regionWide()
                || token.commission().isEmpty()) {
            return Optional.empty();
        }
        String[] parts = criteria.split("\\?", 2);
        String type = parts[0].split("/", 2)[0];
        if (!CareView.holdsPatientData(type)) {
            return Optional.empty();
        }
        String required = ownUnit(token.commission().get());
        Map<String, String[]> params = UrlUtil.parseQueryString(parts.length > 1 ? parts[1] : "");
        boolean held =
                Arrays.asList(params.getOrDefault("_security", new String[0])).contains(required);
        return held
                ? Optional.empty()
                : Optional.of("A Subscription to " + type + " by a care token under Patientdatalagen watches what its"
                        + " own care unit owns: add _security=" + required + " to its criteria");
    }

    static String ownUnit(Commission commission) {
        return Vocabulary.OWNER_CARE_UNIT + "|" + commission.unit();
    }
}
