package se.patientkontrakt.fhir.security;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Patientdatalagen (PDL), the Patient Data Act ({@code patientkontrakt.pdl.*}): whom care's tokens
 * act for. With access control on, a care token must say which commission (medarbetaruppdrag) it
 * acts under: its care unit (vårdenhet) and care giver (vårdgivare), by HSA-id, and for a person
 * also their own HSA-id and the commission's purpose.
 *
 * @param enabled whether care tokens must carry a commission; on by default whenever access
 *     control is on, off only for a closed test system
 * @param claims the names of the token claims that carry the commission; the defaults are those of
 *     Inera's identity provider
 * @param regionWideClients clients ({@code azp} or {@code client_id}) that act for the whole region
 *     rather than one care giver, such as the region's follow-up or a national view: their tokens
 *     carry no commission
 */
@ConfigurationProperties("patientkontrakt.pdl")
public record PdlProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue Claims claims,
        @DefaultValue List<String> regionWideClients) {

    /**
     * @param employee the user's own HSA-id (personal HSA-id)
     * @param unit the commission's care unit (vårdenhet)
     * @param careGiver the commission's care giver (vårdgivare)
     * @param purpose the commission's purpose (syfte), e.g. {@code Vård och behandling}
     */
    public record Claims(
            @DefaultValue("employeeHsaId") String employee,
            @DefaultValue("healthCareUnitHsaId") String unit,
            @DefaultValue("healthCareProviderHsaId") String careGiver,
            @DefaultValue("commissionPurpose") String purpose) {}

    /** The defaults, as without any {@code patientkontrakt.pdl.*} setting. */
    static PdlProperties defaults() {
        return new PdlProperties(
                true,
                new Claims("employeeHsaId", "healthCareUnitHsaId", "healthCareProviderHsaId", "commissionPurpose"),
                List.of());
    }
}
