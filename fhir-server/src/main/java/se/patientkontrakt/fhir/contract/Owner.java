package se.patientkontrakt.fhir.contract;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Who owns a piece of a contract under Patientdatalagen: the care giver (vårdgivare) and the care
 * unit (vårdenhet), by HSA-id, kept on the resource as two security labels ({@link
 * Vocabulary#OWNER_CARE_GIVER}, {@link Vocabulary#OWNER_CARE_UNIT}) so that a search can select by
 * owner ({@code _security}) without reading Provenance.
 *
 * @param careGiver the care giver's HSA-id
 * @param unit the care unit's HSA-id
 */
public record Owner(String careGiver, String unit) {

    /**
     * The types that have an owner: the contract, its care team and its goals, and the patient's
     * consents and blocks (samtycke, spärr), which the care unit that recorded them owns.
     */
    public static final Set<String> OWNED_TYPES = Set.of("CarePlan", "CareTeam", "Goal", "Consent");

    private static final List<String> SYSTEMS = List.of(Vocabulary.OWNER_CARE_GIVER, Vocabulary.OWNER_CARE_UNIT);

    /** The owner the resource's labels name, if they name one. */
    public static Optional<Owner> of(IBaseResource resource) {
        Optional<String> careGiver = label(resource, Vocabulary.OWNER_CARE_GIVER);
        Optional<String> unit = label(resource, Vocabulary.OWNER_CARE_UNIT);
        return careGiver.isPresent() && unit.isPresent()
                ? Optional.of(new Owner(careGiver.get(), unit.get()))
                : Optional.empty();
    }

    /** Whether the resource carries any owner label (whole or not). */
    public static boolean isLabelled(IBaseResource resource) {
        return resource.getMeta().getSecurity().stream().anyMatch(c -> SYSTEMS.contains(c.getSystem()));
    }

    /** Puts this owner's labels on the resource, in place of any it had. */
    public void labelOnto(IBaseResource resource) {
        removeFrom(resource);
        resource.getMeta().addSecurity().setSystem(Vocabulary.OWNER_CARE_GIVER).setCode(careGiver);
        resource.getMeta().addSecurity().setSystem(Vocabulary.OWNER_CARE_UNIT).setCode(unit);
    }

    /** Takes every owner label off the resource. */
    public static void removeFrom(IBaseResource resource) {
        resource.getMeta().getSecurity().removeIf(c -> SYSTEMS.contains(c.getSystem()));
    }

    private static Optional<String> label(IBaseResource resource, String system) {
        List<String> codes = resource.getMeta().getSecurity().stream()
                .filter(c -> system.equals(c.getSystem()))
                .map(IBaseCoding::getCode)
                .distinct()
                .toList();
        return codes.size() == 1 ? Optional.ofNullable(codes.get(0)) : Optional.empty();
    }
}
