package se.patientkontrakt.fhir.contract;

import java.time.ZoneId;
import java.util.Set;

/**
 * The patient contract's words, in one place: the canonical base every definition this service
 * publishes lives under (DESIGN: one constant for every {@code url}), the URLs of the profiles,
 * extensions and code systems that code reads, the codes it looks for, and the time zone in which
 * Swedish care's dates are days.
 */
public final class Vocabulary {

    /** The canonical base of every definition this service publishes. */
    public static final String CANONICAL_BASE = "https://patientkontrakt.se/fhir";

    /** Dates in a contract (a promised next step, a follow-up) are days in Swedish time. */
    public static final ZoneId SWEDEN = ZoneId.of("Europe/Stockholm");

    public static final String PATIENTKONTRAKT_PROFILE = structureDefinition("pk-patientkontrakt");

    /** Extension: care has approved the contract for the patient to see (as Inera's care-plan mapping for 1177). */
    public static final String APPROVED_FOR_PATIENT = structureDefinition("pk-approved-for-patient");

    /** Extension: when and how the patient agreed to the contract. */
    public static final String PATIENT_AGREEMENT = structureDefinition("pk-patient-agreement");

    /**
     * Extension, kept by the server: whether the contract waits for the patient's agreement (never
     * agreed, or its promises changed since), searchable as {@code agreement-pending}.
     */
    public static final String AGREEMENT_PENDING = structureDefinition("pk-agreement-pending");

    /** Extension: when a region's target group (Group, pk-malgrupp) was loaded. */
    public static final String POPULATION_LOADED = structureDefinition("pk-population-loaded");

    /** The kinds of target group (målgrupp): rub-5, rub-4, sabo, 75-plus, 65-plus. */
    public static final String MALGRUPP_TYP = codeSystem("pk-malgrupp-typ");

    /** Extension: the patient wants help to coordinate their care (invariant pk-6). */
    public static final String WANTS_COORDINATION_HELP = structureDefinition("pk-wants-coordination-help");

    /** The kinds of contract activity (<em>Patienten ansvarar för</em>, <em>Nästa steg</em> ...). */
    public static final String ACTIVITY_KIND = codeSystem("pk-activity-kind");

    /** The activity kind the patient owns: <em>Patienten ansvarar för</em>. */
    public static final String PATIENT_RESPONSIBILITY = "patient-responsibility";

    public static final String CAREPLAN_CATEGORY = codeSystem("pk-careplan-category");

    /** The category code that makes a CarePlan a patient contract. */
    public static final String CATEGORY_PATIENTKONTRAKT = "patientkontrakt";

    /** Inera's <em>kv_typ_av_fast_kontakt</em>: 1 fast vårdkontakt, 2 fast läkarkontakt, ... */
    public static final String FAST_KONTAKT =
            "https://terminologitjansten.inera.se/inera-kodverksforvaltning/kodverk/kv_typ_av_fast_kontakt";

    /** Inera's TypeOfCarePlan (SIP, VP ...), the category of the other plans a contract points to. */
    public static final String TYPE_OF_CARE_PLAN = "https://fhir.inera.se/CodeSystem/typeofcareplan-cs";

    /**
     * The tag a Subscription carries of the token that created it ({@code {issuer}|{subject}}): only
     * that token reads, changes and deletes it, and its notifications are sent on that token's rights.
     */
    public static final String SUBSCRIPTION_OWNER = codeSystem("pk-subscription-owner");

    /**
     * The security labels that say who owns a contract, its care team or a goal (Patientdatalagen):
     * the care giver (vårdgivare) and the care unit (vårdenhet) whose commission created it, as
     * HSA-ids. Set by the server from the writer's token; a client cannot set or change them.
     */
    public static final String OWNER_CARE_GIVER = codeSystem("pk-owner-care-giver");

    public static final String OWNER_CARE_UNIT = codeSystem("pk-owner-care-unit");

    /** The kinds of Consent: samtycke, inre spärr, yttre spärr ({@code pk-consent}). */
    public static final String CONSENT_CATEGORY = codeSystem("pk-consent-category");

    /**
     * What a care user declared for a request under PDL (a care relationship, emergency access):
     * the access log's purpose of event and tag.
     */
    public static final String PDL_DECLARATION = codeSystem("pk-pdl-declaration");

    /**
     * The resource types this service serves: the contract and its parts, the patient's consents
     * and blocks (samtycke, spärr), the people it is about and the directory it names, the access
     * log, change notification, the follow-up measures and the regions' target groups they follow
     * ({@code Group}, {@code pk-malgrupp}), and the published definitions. Other FHIR R4 types have
     * no endpoint and answer as unknown: a patient-contract service has no use for them, and each
     * would be one more way in.
     */
    public static final Set<String> SERVED_TYPES = Set.of(
            "Patient",
            "RelatedPerson",
            "CarePlan",
            "CareTeam",
            "Goal",
            "Consent",
            "Practitioner",
            "PractitionerRole",
            "Organization",
            "Location",
            "HealthcareService",
            "AuditEvent",
            "Provenance",
            "Subscription",
            "Measure",
            "Group",
            "StructureDefinition",
            "SearchParameter",
            "OperationDefinition",
            "CodeSystem",
            "ValueSet",
            "ConceptMap",
            "NamingSystem");

    private Vocabulary() {}

    public static String structureDefinition(String id) {
        return CANONICAL_BASE + "/StructureDefinition/" + id;
    }

    public static String codeSystem(String id) {
        return CANONICAL_BASE + "/CodeSystem/" + id;
    }
}
