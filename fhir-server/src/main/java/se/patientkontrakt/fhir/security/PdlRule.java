package se.patientkontrakt.fhir.security;

import java.util.Set;
import se.patientkontrakt.fhir.contract.Owner;

/**
 * The read rule of Patientdatalagen (PDL) for one piece of a patient's data, as Swedish EHRs and
 * NPÖ apply it, decided from what is known of the patient ({@link Facts}) and of the reader:
 *
 * <ul>
 *   <li><b>Spärr first.</b> Data of a care unit under an <i>inre spärr</i> reads only at that
 *       unit; data of a care giver under a <i>yttre spärr</i> reads only at that care giver. Nothing
 *       lifts a spärr, not emergency access (PDL 4 kap. 4 §, and the blocked information is not made
 *       available to other care givers either).
 *   <li><b>Inside one care giver (inre sekretess, 4 kap. 1 §).</b> A unit reads its own data; other
 *       units of the care giver read it with a care relationship (<i>aktuell vårdrelation</i>, 4
 *       kap. 1 §): the unit takes part in the patient's care, or the user declared one for the
 *       request.
 *   <li><b>Across care givers (sammanhållen journalföring).</b> With a care relationship and the
 *       patient's consent (samtycke) for the reader's care giver, or with emergency access
 *       (nödåtkomst) when the patient cannot consent.
 * </ul>
 *
 * <p>A system (an EHR integration of one care giver) has no care relationships of its own: it
 * reads its care giver's data that no spärr hides, and never another care giver's.
 */
final class PdlRule {

    /** What the rule says of one piece of data. */
    enum Access {
        READ,
        /** Not readable by this reader, but not because of a spärr. */
        DENIED,
        /** Hidden by a spärr: a response that leaves it out says that blocked information exists. */
        BLOCKED
    }

    /**
     * What is known of one patient's care, from the data this server holds now.
     *
     * @param unitsTakingPart the care units (HSA-ids) that take part in the patient's care: they own
     *     a contract or care team, manage a care team, or have a participant or performer in them
     * @param consentedCareGivers the care givers the patient has given a samtycke that holds today
     * @param blockedUnits the care units whose data an inre spärr that holds today hides
     * @param blockedCareGivers the care givers whose data a yttre spärr that holds today hides
     */
    record Facts(
            Set<String> unitsTakingPart,
            Set<String> consentedCareGivers,
            Set<String> blockedUnits,
            Set<String> blockedCareGivers) {}

    /**
     * Who reads, and what they declared for this request.
     *
     * @param commission the commission the token acts under
     * @param person whether a person reads (a system's token names no employee)
     * @param declaredRelationship whether the user declared a care relationship ({@code
     *     PDL-Care-Relationship})
     * @param emergency whether the user declared emergency access ({@code PDL-Emergency-Access})
     */
    record Reader(Commission commission, boolean person, boolean declaredRelationship, boolean emergency) {

        String careGiver() {
            return commission.careGiver();
        }

        String unit() {
            return commission.unit();
        }
    }

    private PdlRule() {}

    static Access decide(Owner owner, Reader reader, Facts facts) {
        boolean ownUnit =
                owner.unit().equals(reader.unit()) && owner.careGiver().equals(reader.careGiver());
        if (ownUnit) {
            return Access.READ;
        }
        boolean ownCareGiver = owner.careGiver().equals(reader.careGiver());
        if (facts.blockedUnits().contains(owner.unit())
                || (!ownCareGiver && facts.blockedCareGivers().contains(owner.careGiver()))) {
            return Access.BLOCKED;
        }
        if (!reader.person()) {
            return ownCareGiver ? Access.READ : Access.DENIED;
        }
        if (!hasCareRelationship(reader, facts)) {
            return Access.DENIED;
        }
        if (ownCareGiver || reader.emergency() || facts.consentedCareGivers().contains(reader.careGiver())) {
            return Access.READ;
        }
        return Access.DENIED;
    }

    /**
     * A care relationship with the patient: the reader's unit takes part in the patient's care, or
     * the user declared one (or emergency access, which is care the patient cannot consent to).
     */
    static boolean hasCareRelationship(Reader reader, Facts facts) {
        return !reader.person()
                || reader.declaredRelationship()
                || reader.emergency()
                || facts.unitsTakingPart().contains(reader.unit());
    }
}
