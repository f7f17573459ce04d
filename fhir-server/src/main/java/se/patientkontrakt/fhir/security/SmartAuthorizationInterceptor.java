package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationFlagsEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilder;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Measure;
import org.hl7.fhir.r4.model.Patient;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.security.SmartScope.Interaction;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * Turns the SMART scopes of the caller's token into HAPI {@link AuthorizationInterceptor} rules,
 * which HAPI applies to every request, every entry of a transaction, and every resource a
 * response carries (search matches, {@code _include}/{@code _revinclude}, history, operation
 * results): a response holding one resource the rules do not allow is refused as a whole, with
 * {@code 403} and an OperationOutcome.
 *
 * <ul>
 *   <li>A patient token reads, within its scopes, only its patient's compartment
 *       (<a href="https://hl7.org/fhir/R4/compartmentdefinition-patient.html">Patient compartment</a>),
 *       the directory (practitioners, their roles, units) that its contracts name, and the
 *       published definitions; it may update its own CarePlans (what it may change there is
 *       checked by {@link PatientOwnedChangesInterceptor}) and call the portal view for itself.
 *   <li>A practitioner ({@code user/}) or integration ({@code system/}) token reads and writes the
 *       types its scopes name, any instance; {@link ScopeInteractionInterceptor} tells create,
 *       update and delete apart, which HAPI's rules do not.
 *   <li>A region's target groups ({@link #REGION_WIDE_TYPES}) are a region-wide client's only.
 *   <li>Anything else is refused: the default policy is deny.
 * </ul>
 *
 * <p>SMART v2 separates read ({@code r}) and search ({@code s}); HAPI's rules do not, and here
 * either grants both, since a search by {@code _id} reads any instance a search may reach.
 */
@Component
@AccessControlEnabled
@Interceptor
class SmartAuthorizationInterceptor extends AuthorizationInterceptor implements RestInterceptor {

    /** Not patient data: the people and units contracts name, for a portal to show them. */
    static final Set<String> DIRECTORY_TYPES =
            Set.of("Practitioner", "PractitionerRole", "Organization", "Location", "HealthcareService");

    /** The published definitions every authenticated client may read. */
    static final Set<String> DEFINITION_TYPES = Set.of(
            "StructureDefinition",
            "ValueSet",
            "CodeSystem",
            "NamingSystem",
            "SearchParameter",
            "OperationDefinition",
            "ConceptMap",
            "Measure");

    /**
     * Many patients' data at once: a region's target groups ({@code Group}, {@code pk-malgrupp}),
     * whole member lists for its follow-up. Only region-wide clients read or write them, within
     * their scopes; every other token is denied them whatever its scopes say
     * ({@link RegionWideTypesInterceptor}).
     */
    static final Set<String> REGION_WIDE_TYPES = Set.of("Group");

    /** Terminology operations, which read only definitions: open to every authenticated client. */
    private static final List<String> TERMINOLOGY_OPERATIONS =
            List.of("$expand", "$lookup", "$validate-code", "$subsumes");

    /**
     * Validation against the profiles: for care only. A patient does not need it, and its
     * {@code mode=delete} on an instance names what refers to that instance.
     */
    private static final String VALIDATE = "$validate";

    static final String PORTAL_VIEW = "$patientkontrakt";

    /** The patient's plans in the national shape (NPÖ, 1177 Journal): a read of them, as the portal view. */
    static final String NATIONAL_VIEW = "$getcareplans";

    /** Who has read the patient's data, in the national shape: a read of the access log. */
    static final String ACCESS_LOG = "$accesslog";

    /** A contract as a FHIR document (or PDF): a read of the contract and what it points to. */
    static final String DOCUMENT = "$document";

    /** The follow-up measures: counts and shares per care unit, never a patient's own data. */
    static final String EVALUATE_MEASURE = "$evaluate-measure";

    private final PatientData patientData;

    SmartAuthorizationInterceptor(FhirContext fhirContext) {
        super(PolicyEnum.DENY);
        // HAPI would refuse a patient's history of their own CarePlan up front, unable to tell its
        // compartment from the id alone. Let such reads in; every resource they return is still
        // checked on the way out, and a response with anything outside the rules is refused.
        setFlags(AuthorizationFlagsEnum.DO_NOT_PROACTIVELY_BLOCK_COMPARTMENT_READ_ACCESS);
        this.patientData = new PatientData(fhirContext);
    }

    @Override
    public List<IAuthRule> buildRuleList(RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        IAuthRuleBuilder rules = new RuleBuilder();
        // The CapabilityStatement is public: it tells a client where to get a token.
        rules.allow("capabilities").metadata().andThen();
        if (token.isEmpty()) {
            return rules.denyAll("the request carries no access token").build();
        }
        if (!token.get().regionWide()) {
            // First, so that no wildcard scope (user/*.cud) lets a write in. Reads are refused by
            // RegionWideTypesInterceptor: with DO_NOT_PROACTIVELY_BLOCK_COMPARTMENT_READ_ACCESS a
            // read rule decides every search up front whatever its type, so a deny-read rule here
            // would refuse them all.
            for (String type : REGION_WIDE_TYPES) {
                rules.deny("region-wide data")
                        .write()
                        .resourcesOfType(type)
                        .withAnyId()
                        .andThen();
                rules.deny("region-wide data")
                        .delete()
                        .resourcesOfType(type)
                        .withAnyId()
                        .andThen();
            }
        }
        for (String type : DEFINITION_TYPES) {
            readAnyOf(rules, "definitions", type);
        }
        for (String operation : TERMINOLOGY_OPERATIONS) {
            rules.allow("terminology operations")
                    .operation()
                    .named(operation)
                    .atAnyLevel()
                    .andRequireExplicitResponseAuthorization()
                    .andThen();
        }
        if (token.get().patientToken()) {
            patientRules(token.get(), rules);
        } else {
            careRules(token.get(), rules);
        }
        if (BulkExportAccessInterceptor.mayExport(token.get())) {
            bulkExport(rules);
        }
        rules.allow("transactions")
                .transaction()
                .withAnyOperation()
                .andApplyNormalRules()
                .andThen();
        return rules.denyAll("the token's scopes do not allow this request").build();
    }

    private void patientRules(AccessToken token, IAuthRuleBuilder rules) {
        if (token.patient().isEmpty()) {
            rules.denyAll("a patient token must name its patient (claim 'patient', or 'fhirUser' = Patient/...)")
                    .andThen();
            return;
        }
        IdType patient = token.patient().get();
        for (String type : readable(token)) {
            if (SmartScope.ANY_TYPE.equals(type)) {
                rules.allow("patient compartment")
                        .read()
                        .allResources()
                        .inCompartment("Patient", patient)
                        .andThen();
                DIRECTORY_TYPES.forEach(t -> readAnyOf(rules, "directory", t));
            } else if (patientData.isPatientData(type)) {
                rules.allow("patient compartment")
                        .read()
                        .resourcesOfType(type)
                        .inCompartment("Patient", patient)
                        .andThen();
            } else if (DIRECTORY_TYPES.contains(type)) {
                readAnyOf(rules, "directory", type);
            }
        }
        if (readsContracts(token)) {
            for (String view : List.of(PORTAL_VIEW, NATIONAL_VIEW)) {
                rules.allow("portal view")
                        .operation()
                        .named(view)
                        .onInstance(patient)
                        .andRequireExplicitResponseAuthorization()
                        .andThen();
            }
            allowPortalViewByIdentifier(rules);
            allowDocument(rules);
        }
        if (readable(token).contains("AuditEvent") || readable(token).contains(SmartScope.ANY_TYPE)) {
            rules.allow("access log")
                    .operation()
                    .named(ACCESS_LOG)
                    .onInstance(patient)
                    .andRequireExplicitResponseAuthorization()
                    .andThen();
        }
        if (token.allows("CarePlan", Interaction.UPDATE)) {
            rules.allow("own contract")
                    .write()
                    .resourcesOfType("CarePlan")
                    .inCompartment("Patient", patient)
                    .andThen();
            rules.allow("own contract").patch().allRequests().andThen();
        }
    }

    private static void careRules(AccessToken token, IAuthRuleBuilder rules) {
        rules.allow("validation")
                .operation()
                .named(VALIDATE)
                .atAnyLevel()
                .andRequireExplicitResponseAuthorization()
                .andThen();
        for (String type : readable(token)) {
            if (SmartScope.ANY_TYPE.equals(type)) {
                rules.allow("scope read").read().allResources().withAnyId().andThen();
            } else {
                readAnyOf(rules, "scope read", type);
            }
        }
        Set<String> writable = new TreeSet<>(token.typesAllowing(Interaction.CREATE));
        writable.addAll(token.typesAllowing(Interaction.UPDATE));
        for (String type : writable) {
            if (SmartScope.ANY_TYPE.equals(type)) {
                rules.allow("scope write").write().allResources().withAnyId().andThen();
            } else {
                rules.allow("scope write")
                        .write()
                        .resourcesOfType(type)
                        .withAnyId()
                        .andThen();
            }
        }
        if (!token.typesAllowing(Interaction.UPDATE).isEmpty()) {
            rules.allow("scope patch").patch().allRequests().andThen();
        }
        careAccessLog(token, rules);
        for (String type : token.typesAllowing(Interaction.DELETE)) {
            if (SmartScope.ANY_TYPE.equals(type)) {
                rules.allow("scope delete").delete().allResources().withAnyId().andThen();
            } else {
                rules.allow("scope delete")
                        .delete()
                        .resourcesOfType(type)
                        .withAnyId()
                        .andThen();
            }
        }
        if (readsContracts(token)) {
            for (String view : List.of(PORTAL_VIEW, NATIONAL_VIEW)) {
                rules.allow("portal view")
                        .operation()
                        .named(view)
                        .onAnyInstance()
                        .andRequireExplicitResponseAuthorization()
                        .andThen();
            }
            allowPortalViewByIdentifier(rules);
            allowDocument(rules);
            // Computed from every contract, so only for a token that may read every contract; the
            // MeasureReport it returns is made for the request and names no patient.
            rules.allow("follow-up measures")
                    .operation()
                    .named(EVALUATE_MEASURE)
                    .onInstancesOfType(Measure.class)
                    .andAllowAllResponses()
                    .andThen();
        }
    }

    /**
     * Bulk Data export, for a region-wide client's system token ({@link BulkExportAccessInterceptor}
     * refuses every other token first, and checks the types exported against the scopes): the
     * kick-off at each level, the status, and the files, whose owner {@code bulk/} checks.
     */
    private static void bulkExport(IAuthRuleBuilder rules) {
        String export = "$export";
        rules.allow("bulk export")
                .operation()
                .named(export)
                .onServer()
                .andRequireExplicitResponseAuthorization()
                .andThen();
        rules.allow("bulk export")
                .operation()
                .named(export)
                .onType(Patient.class)
                .andRequireExplicitResponseAuthorization()
                .andThen();
        rules.allow("bulk export")
                .operation()
                .named(export)
                .onInstancesOfType(Patient.class)
                .andRequireExplicitResponseAuthorization()
                .andThen();
        rules.allow("bulk export")
                .operation()
                .named(export)
                .onInstancesOfType(Group.class)
                .andRequireExplicitResponseAuthorization()
                .andThen();
        rules.allow("bulk export status")
                .operation()
                .named("$export-poll-status")
                .onServer()
                .andRequireExplicitResponseAuthorization()
                .andThen();
        rules.allow("bulk export").bulkExport().any().andThen();
        readAnyOf(rules, "bulk export files", BulkExportAccessInterceptor.FILES);
    }

    private static void careAccessLog(AccessToken token, IAuthRuleBuilder rules) {
        if (readable(token).contains("AuditEvent") || readable(token).contains(SmartScope.ANY_TYPE)) {
            rules.allow("access log")
                    .operation()
                    .named(ACCESS_LOG)
                    .onInstancesOfType(Patient.class)
                    .andRequireExplicitResponseAuthorization()
                    .andThen();
        }
    }

    private static boolean readsContracts(AccessToken token) {
        return token.allows("CarePlan", Interaction.READ) || token.allows("CarePlan", Interaction.SEARCH);
    }

    private static void readAnyOf(IAuthRuleBuilder rules, String name, String type) {
        rules.allow(name).read().resourcesOfType(type).withAnyId().andThen();
    }

    /** By personnummer: what the view returns is still checked against the other rules. */
    private static void allowPortalViewByIdentifier(IAuthRuleBuilder rules) {
        for (String view : List.of(PORTAL_VIEW, NATIONAL_VIEW)) {
            rules.allow("portal view by identifier")
                    .operation()
                    .named(view)
                    .onType(Patient.class)
                    .andRequireExplicitResponseAuthorization()
                    .andThen();
        }
    }

    /**
     * A contract as a document: the contract is read as by a GET, every entry checked on the way
     * out. HAPI checks a document Bundle as a resource of its own too (it stands alone, unlike a
     * searchset), so the document Bundle itself is allowed; no Bundle is stored or served otherwise.
     */
    private static void allowDocument(IAuthRuleBuilder rules) {
        rules.allow("contract document")
                .operation()
                .named(DOCUMENT)
                .onInstancesOfType(CarePlan.class)
                .andRequireExplicitResponseAuthorization()
                .andThen();
        rules.allow("contract document")
                .read()
                .resourcesOfType("Bundle")
                .withAnyId()
                .andThen();
    }

    private static Set<String> readable(AccessToken token) {
        Set<String> types = new TreeSet<>(token.typesAllowing(Interaction.READ));
        types.addAll(token.typesAllowing(Interaction.SEARCH));
        return types;
    }
}
