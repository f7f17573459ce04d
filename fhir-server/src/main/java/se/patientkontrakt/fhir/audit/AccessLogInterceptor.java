package se.patientkontrakt.fhir.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentNetworkType;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.AccessControlEnabled;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.security.PatientData;
import se.patientkontrakt.fhir.security.PdlDeclaration;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * The access log (Swedish law, Patientdatalagen 4 kap. 3 §, asks care providers to log every
 * access to patient records): every read, search, create, update and delete of patient data
 * through the API writes an <a href="https://hl7.org/fhir/R4/auditevent.html">AuditEvent</a> — who
 * (the token's subject, and the client that holds it), what (the resources, and the patient they
 * are about), when, the outcome, and from where (the caller's address).
 *
 * <ul>
 *   <li>A write is logged on {@code STORAGE_PRECOMMIT_RESOURCE_*}, inside the transaction that
 *       stores it: the change and its log entry commit together or not at all.
 *   <li>What a read shows is collected on {@code STORAGE_PRESHOW_RESOURCES} and logged on
 *       {@code SERVER_OUTGOING_RESPONSE}, before the response is written: if the log cannot be
 *       written, the client gets an error instead of the data.
 *   <li>A refused or failed request that touched patient data is logged with its outcome.
 * </ul>
 *
 * <p>One AuditEvent per patient and request, naming only that patient, so that a patient who lists
 * the AuditEvents about themselves ({@code AuditEvent?patient=...}) learns nothing about anyone
 * else. A patient actor is named by identifier, not by reference, for the same reason. Reading
 * the access log itself is not logged again.
 */
@Component
@AccessControlEnabled
@Interceptor
public class AccessLogInterceptor implements RestInterceptor {

    private static final Logger log = LoggerFactory.getLogger(AccessLogInterceptor.class);

    private static final String REACHED = AccessLogInterceptor.class.getName() + ".reached";
    private static final String SHOWN = AccessLogInterceptor.class.getName() + ".shown";
    private static final String LOGGED = AccessLogInterceptor.class.getName() + ".logged";

    static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
    static final String INTERACTION = "http://hl7.org/fhir/restful-interaction";
    static final String ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    static final String OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role";
    static final String ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    static final String ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;
    private final PatientData patientData;

    AccessLogInterceptor(FhirContext fhirContext, DaoRegistry daoRegistry) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.patientData = new PatientData(fhirContext);
    }

    /**
     * What a request reached, before any access rule may withhold or refuse it: a refused attempt
     * is logged against the patient whose data it reached.
     */
    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.ACCESS + 5)
    void collectReached(IPreResourceShowDetails details, RequestDetails request) {
        collect(details, request, REACHED);
    }

    /** What the access rules let the request show, the reads to log once the response is sent. */
    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.EFFECTS + 10)
    void collectShown(IPreResourceShowDetails details, RequestDetails request) {
        collect(details, request, SHOWN);
    }

    private void collect(IPreResourceShowDetails details, RequestDetails request, String key) {
        for (int i = 0; i < details.size(); i++) {
            IBaseResource resource = details.getResource(i);
            if (resource != null && isLogged(resource)) {
                patientData.patientOf(resource).ifPresent(patient -> collected(request, key)
                        .computeIfAbsent(patient, p -> new LinkedHashSet<>())
                        .add(versioned(resource)));
            }
        }
    }

    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = HookOrder.EFFECTS + 10)
    void logReads(RequestDetails request) {
        Map<String, Set<String>> shown = collected(request, SHOWN);
        if (shown.isEmpty() || request.getUserData().containsKey(LOGGED)) {
            return;
        }
        request.getUserData().put(LOGGED, true);
        shown.forEach((patient, resources) -> save(event(
                request,
                AuditEventAction.R,
                interaction(request),
                patient,
                resources,
                r -> true,
                AuditEventOutcome._0,
                null)));
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = HookOrder.EFFECTS + 10)
    void logCreate(IBaseResource resource, RequestDetails request) {
        logWrite(request, resource, AuditEventAction.C, "create");
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED, order = HookOrder.EFFECTS + 10)
    void logUpdate(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        logWrite(
                request,
                updated,
                AuditEventAction.U,
                request.getRestOperationType() == RestOperationTypeEnum.PATCH ? "patch" : "update");
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED, order = HookOrder.EFFECTS + 10)
    void logDelete(IBaseResource resource, RequestDetails request) {
        logWrite(request, resource, AuditEventAction.D, "delete");
    }

    private boolean exists(String reference) {
        IdType id = new IdType(reference);
        try {
            daoRegistry.getResourceDao(id.getResourceType()).read(id.toVersionless(), new SystemRequestDetails());
            return true;
        } catch (BaseServerResponseException | IllegalArgumentException e) {
            return false;
        }
    }

    @Hook(value = Pointcut.SERVER_HANDLE_EXCEPTION, order = HookOrder.EFFECTS + 10)
    boolean logFailure(RequestDetails request, BaseServerResponseException exception) {
        if (request.getUserData().containsKey(LOGGED)) {
            return true;
        }
        request.getUserData().put(LOGGED, true);
        Map<String, Set<String>> touched = new LinkedHashMap<>(collected(request, REACHED));
        collected(request, SHOWN)
                .forEach((patient, resources) -> touched.computeIfAbsent(patient, p -> new LinkedHashSet<>())
                        .addAll(resources));
        String target = request.getId() != null && request.getId().hasIdPart()
                ? request.getId().toUnqualifiedVersionless().getValue()
                : null;
        String type = request.getResourceName();
        if (touched.isEmpty() && (type == null || !patientData.isPatientData(type) || "AuditEvent".equals(type))) {
            return true;
        }
        if (touched.isEmpty()) {
            String patient = target != null && "Patient".equals(type) ? target : null;
            touched.put(patient, target == null ? Set.of() : Set.of(target));
        }
        AuditEventOutcome outcome = exception.getStatusCode() >= 500 ? AuditEventOutcome._8 : AuditEventOutcome._4;
        String description = exception.getStatusCode() + " " + exception.getMessage();
        try {
            touched.forEach((patient, resources) -> save(event(
                    request,
                    action(request),
                    interaction(request),
                    patient,
                    resources,
                    this::exists,
                    outcome,
                    description)));
        } catch (RuntimeException e) {
            // The client gets the original error; the entry that could not be written goes to the log.
            log.error(
                    "Could not write the access log entry for a refused {} {}",
                    request.getRequestType(),
                    request.getCompleteUrl(),
                    e);
        }
        return true;
    }

    private void logWrite(RequestDetails request, IBaseResource resource, AuditEventAction action, String code) {
        if (!isLogged(resource)) {
            return;
        }
        Optional<String> patient = patientData.patientOf(resource);
        if (patient.isEmpty()) {
            return;
        }
        String what = versioned(resource);
        // A deleted resource (and a deleted Patient) can be named but no longer referenced.
        Predicate<String> exists = reference ->
                action != AuditEventAction.D || !reference.startsWith(what.replaceFirst("/_history/.*", ""));
        save(event(request, action, code, patient.get(), Set.of(what), exists, AuditEventOutcome._0, null));
    }

    private boolean isLogged(IBaseResource resource) {
        String type = fhirContext.getResourceType(resource);
        return !"AuditEvent".equals(type) && patientData.isPatientData(type);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Set<String>> collected(RequestDetails request, String key) {
        return (Map<String, Set<String>>) request.getUserData().computeIfAbsent(key, k -> new LinkedHashMap<>());
    }

    private static String versioned(IBaseResource resource) {
        return resource.getIdElement().toUnqualified().getValue();
    }

    static AuditEvent event(
            RequestDetails request,
            AuditEventAction action,
            String interaction,
            String patient,
            Set<String> resources,
            Predicate<String> exists,
            AuditEventOutcome outcome,
            String description) {
        AuditEvent event = new AuditEvent();
        event.setType(new Coding(DCM, "110110", "Patient Record"));
        event.addSubtype(new Coding(INTERACTION, interaction, interaction));
        event.setAction(action);
        event.setRecorded(new Date());
        event.setOutcome(outcome);
        if (description != null) {
            event.setOutcomeDesc(description.length() > 500 ? description.substring(0, 500) : description);
        }
        for (PdlDeclaration declaration : PdlDeclaration.accepted(request)) {
            declare(event, declaration);
        }
        AccessToken token = AccessToken.of(request).orElse(null);
        AuditEventAgentComponent user = event.addAgent().setRequestor(true);
        if (token != null) {
            Identifier subject = new Identifier().setSystem(token.issuer()).setValue(token.subject());
            // A patient actor is named in words only (Patient/{id} as display): a reference to a
            // Patient would put the event in that patient's compartment, and show them what they
            // tried to see of others. What a patient sees of other actors is the patient
            // boundary's to decide.
            Reference who = token.fhirUserReference()
                    .filter(reference -> !reference.startsWith("Patient/"))
                    .map(Reference::new)
                    .orElseGet(Reference::new)
                    .setIdentifier(subject);
            if (token.patientToken()) {
                token.patient().ifPresent(id -> who.setDisplay(id.getValue()));
            } else {
                token.fhirUser().ifPresent(who::setDisplay);
            }
            user.setWho(who).setAltId(token.subject());
            user.setType(new CodeableConcept(new Coding(
                    "http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser", "human user")));
            token.clientId().ifPresent(client -> event.addAgent()
                    .setRequestor(false)
                    .setType(new CodeableConcept(new Coding(DCM, "110150", "Application")))
                    .setName(client)
                    .setWho(new Reference()
                            .setIdentifier(
                                    new Identifier().setSystem(token.issuer()).setValue(client))));
        }
        if (request instanceof ServletRequestDetails servlet && servlet.getServletRequest() != null) {
            user.getNetwork()
                    .setAddress(servlet.getServletRequest().getRemoteAddr())
                    .setType(AuditEventAgentNetworkType._2);
        }
        event.getSource()
                .setObserver(new Reference().setDisplay("Patientkontrakt FHIR service"))
                .addType(new Coding(
                        "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"));
        if (patient != null) {
            event.addEntity()
                    .setWhat(reference(patient, exists))
                    .setType(new Coding(ENTITY_TYPE, "1", "Person"))
                    .setRole(new Coding(OBJECT_ROLE, "1", "Patient"));
        }
        for (String resource : resources) {
            if (resource.equals(patient)) {
                continue;
            }
            event.addEntity()
                    .setWhat(reference(resource, exists))
                    .setType(new Coding(ENTITY_TYPE, "2", "System Object"))
                    .setRole(new Coding(OBJECT_ROLE, "4", "Domain Resource"));
        }
        return event;
    }

    /**
     * A care relationship or emergency access the user declared: the purpose of the event, with the
     * user's reason as its text, and a tag to find such entries by ({@code AuditEvent?_tag=...});
     * emergency access also carries the break-the-glass label ({@code _security=...|BTG}).
     */
    private static void declare(AuditEvent event, PdlDeclaration declaration) {
        boolean emergency = declaration.kind() == PdlDeclaration.Kind.EMERGENCY_ACCESS;
        Coding pdl = new Coding(
                Vocabulary.PDL_DECLARATION,
                declaration.kind().code(),
                declaration.kind().display());
        event.addPurposeOfEvent()
                .addCoding(pdl)
                .addCoding(
                        emergency
                                ? new Coding(ACT_REASON, "ETREAT", "Emergency Treatment")
                                : new Coding(ACT_REASON, "TREAT", "treatment"))
                .setText(declaration.reason());
        event.getMeta().addTag(pdl.copy());
        if (emergency) {
            event.getMeta().addSecurity(ACT_CODE, "BTG", "break the glass");
        }
    }

    /** A reference to what exists; what does not (deleted, or never there) is named in display only. */
    private static Reference reference(String resource, Predicate<String> exists) {
        return exists.test(resource) ? new Reference(resource) : new Reference().setDisplay(resource);
    }

    /** Stored past the REST layer, so no client rule or guard applies to the server's own log. */
    private void save(AuditEvent event) {
        daoRegistry.getResourceDao(AuditEvent.class).create(event, new SystemRequestDetails());
    }

    private static String interaction(RequestDetails request) {
        RestOperationTypeEnum operation = request.getRestOperationType();
        if (operation == null) {
            return "read";
        }
        return switch (operation) {
            case READ -> "read";
            case VREAD -> "vread";
            case SEARCH_TYPE, SEARCH_SYSTEM, GET_PAGE -> "search";
            case HISTORY_INSTANCE, HISTORY_TYPE, HISTORY_SYSTEM -> "history";
            case CREATE -> "create";
            case UPDATE -> "update";
            case PATCH -> "patch";
            case DELETE -> "delete";
            case TRANSACTION, BATCH -> "transaction";
            default -> "operation";
        };
    }

    private static AuditEventAction action(RequestDetails request) {
        return switch (interaction(request)) {
            case "create" -> AuditEventAction.C;
            case "update", "patch" -> AuditEventAction.U;
            case "delete" -> AuditEventAction.D;
            case "operation", "transaction" -> AuditEventAction.E;
            default -> AuditEventAction.R;
        };
    }
}
