package se.patientkontrakt.fhir.ownership;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Provenance.ProvenanceAgentComponent;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Signature;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Agreement;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.security.Commission;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Every write a caller makes is recorded in a Provenance, in the same database transaction (shaped
 * as Inera's EHDS-TK Provenance, profile {@code pk-provenance}): what was written (each resource at
 * the version written), when, how ({@code create}, {@code update}, {@code patch}, {@code delete}),
 * and by whom: the care giver ({@code custodian}) and care unit ({@code author}) of the writer's
 * commission, the person or system that entered it ({@code enterer}), and the commission's purpose
 * ({@code reason}). A patient's own change (confirming the agreement) names the patient as author
 * and the owner of what was changed as custodian. A write that records the patient's agreement
 * (the patient confirming it, or care recording an agreement given on paper or orally) has a
 * Provenance that is signed ({@code signature}: a consent signature by whoever agreed, on the
 * agreement's date, by its method) and names the version agreed to ({@code entity}, role
 * {@code source}) when that is not the version written.
 *
 * <p>A transaction or batch entry is one activity: one Provenance per kind of change in it (a new
 * contract of eleven resources has one, with eleven targets); each delete has its own. The server's own writes (the access
 * log, loading the examples) and those of a server without access control record none; nor do
 * Provenance and AuditEvent, which are themselves records.
 */
@Component
@Interceptor
class ProvenanceRecorder implements StorageInterceptor {

    static final String ACTIVITY = "http://hl7.org/fhir/restful-interaction";
    static final String PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    static final String CLIENT_ID = Vocabulary.CANONICAL_BASE + "/sid/oauth-client";
    static final String PROFILE = Vocabulary.structureDefinition("pk-provenance");
    static final String SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013";
    static final String CONSENT_SIGNATURE = "1.2.840.10065.1.12.1.7";

    private static final Set<String> RECORDS = Set.of("Provenance", "AuditEvent");
    private static final String PENDING = ProvenanceRecorder.class.getName() + ".pending";

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;

    ProvenanceRecorder(FhirContext fhirContext, DaoRegistry daoRegistry) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
    }

    /**
     * One kind of change in a transaction: its code, the care giver it is recorded under, and whose
     * record the Provenance is (owner labels: the owner of what changed, else the writer's
     * commission), so that a care unit finds by search ({@code _security}) the record of every
     * change to what it owns, whoever made it.
     */
    private record Activity(String code, Optional<String> custodian, Optional<Owner> owner) {}

    /** What one activity wrote: each resource at its version, and the patient's agreements among them. */
    private record Written(List<Reference> targets, List<Agreed> agreements) {
        Written() {
            this(new ArrayList<>(), new ArrayList<>());
        }
    }

    /**
     * A patient's agreement a write recorded: who agreed (else the contract's patient), the version
     * agreed to, and the version written.
     */
    private record Agreed(Extension agreement, Reference signer, Optional<String> version, Reference written) {}

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = HookOrder.EFFECTS + 20)
    void created(IBaseResource resource, RequestDetails request, TransactionDetails transaction) {
        record("create", resource, agreement(null, resource), request, transaction);
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED, order = HookOrder.EFFECTS + 20)
    void updated(
            IBaseResource previous, IBaseResource resource, RequestDetails request, TransactionDetails transaction) {
        boolean patch = request != null && request.getRestOperationType() == RestOperationTypeEnum.PATCH;
        record(patch ? "patch" : "update", resource, agreement(previous, resource), request, transaction);
    }

    /**
     * A delete is recorded just before it is made, in its transaction, and on its own even inside
     * a transaction Bundle: a Provenance may point at a resource that is deleted (it does not keep
     * it from being deleted) but not be written pointing at one that already is.
     */
    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.EFFECTS + 20)
    void deleting(IBaseResource resource, RequestDetails request) {
        record("delete", resource, Optional.empty(), request, null);
    }

    /** The patient's agreement the write records anew, if it records one, with the contract it is in. */
    private Optional<CarePlan> agreement(IBaseResource previous, IBaseResource resource) {
        return resource instanceof CarePlan after
                        && (previous == null || previous instanceof CarePlan)
                        && Agreement.newlyAgreed(fhirContext, (CarePlan) previous, after)
                                .isPresent()
                ? Optional.of(after)
                : Optional.empty();
    }

    /** The end of a transaction (or of one batch entry): its Provenance, still inside it. */
    @Hook(value = Pointcut.STORAGE_TRANSACTION_PROCESSED, order = HookOrder.EFFECTS + 20)
    void transactionProcessed(RequestDetails request, TransactionDetails transaction) {
        Map<Activity, Written> pending = transaction.getUserData(PENDING);
        if (pending == null) {
            return;
        }
        transaction.clearUserData(PENDING);
        AccessToken.of(request)
                .ifPresent(token -> pending.forEach((activity, written) ->
                        store(provenance(token, activity, written, transaction.getTransactionDate()))));
    }

    private void record(
            String code,
            IBaseResource resource,
            Optional<CarePlan> agreed,
            RequestDetails request,
            TransactionDetails transaction) {
        String type = fhirContext.getResourceType(resource);
        Optional<AccessToken> token = AccessToken.of(request);
        if (RECORDS.contains(type) || token.isEmpty()) {
            return;
        }
        Activity activity = new Activity(
                code,
                custodian(token.get(), resource),
                Owner.of(resource).or(() -> token.get().commission().map(c -> new Owner(c.careGiver(), c.unit()))));
        Reference target =
                new Reference(type + "/" + resource.getIdElement().getIdPart() + "/_history/" + version(resource));
        boolean inTransaction = transaction != null && transaction.isFhirTransaction();
        Written written = inTransaction
                ? transaction
                        .<Map<Activity, Written>>getOrCreateUserData(PENDING, LinkedHashMap::new)
                        .computeIfAbsent(activity, a -> new Written())
                : new Written();
        written.targets().add(target);
        agreed.ifPresent(contract -> written.agreements().add(agreed(contract, target)));
        if (!inTransaction) {
            Date when = transaction == null ? new Date() : transaction.getTransactionDate();
            store(provenance(token.get(), activity, written, when));
        }
    }

    /** The agreement {@code contract} holds, signed by whoever it names as agreeing, else by its patient. */
    private static Agreed agreed(CarePlan contract, Reference written) {
        Extension agreement = Agreement.of(contract).orElseThrow().copy();
        Extension agreedBy = agreement.getExtensionByUrl("agreedBy");
        Reference signer = agreedBy != null && agreedBy.getValue() instanceof Reference who
                ? who.copy()
                : contract.getSubject().copy();
        return new Agreed(agreement, signer, Agreement.agreedVersion(contract), written);
    }

    /** The care giver the change is recorded under: the writer's, else the owner of what changed. */
    private static Optional<String> custodian(AccessToken token, IBaseResource resource) {
        return token.commission().map(Commission::careGiver).or(() -> Owner.of(resource)
                .map(Owner::careGiver));
    }

    private static String version(IBaseResource resource) {
        String version = resource.getIdElement().getVersionIdPart();
        return version != null ? version : resource.getMeta().getVersionId();
    }

    private static Provenance provenance(AccessToken token, Activity activity, Written written, Date when) {
        Provenance provenance = new Provenance();
        provenance.setTarget(written.targets());
        provenance.setRecorded(when == null ? new Date() : when);
        provenance.getActivity().addCoding(new Coding(ACTIVITY, activity.code(), null));
        activity.owner().ifPresent(owner -> owner.labelOnto(provenance));
        activity.custodian()
                .ifPresent(careGiver -> agent(provenance, "custodian").setWho(hsaId(careGiver)));
        written.agreements().forEach(agreed -> signed(provenance, agreed));
        Optional<Commission> commission = token.commission();
        if (commission.isPresent()) {
            agent(provenance, "author").setWho(hsaId(commission.get().unit()));
            commission.get().purpose().ifPresent(purpose -> provenance.addReason(reason(purpose)));
        } else if (token.patientToken()) {
            token.patient().ifPresent(patient -> agent(provenance, "author")
                    .setWho(new Reference(patient.toUnqualifiedVersionless().getValue())));
        }
        Optional<Reference> enterer = commission
                .flatMap(Commission::employee)
                .map(ProvenanceRecorder::hsaId)
                .or(() -> token.patientToken()
                        ? Optional.empty()
                        : token.clientId().map(client -> new Reference()
                                .setIdentifier(
                                        new Identifier().setSystem(CLIENT_ID).setValue(client))));
        enterer.ifPresent(who -> agent(provenance, "enterer").setWho(who));
        if (activity.custodian().isPresent() && (commission.isPresent() || token.patientToken())) {
            provenance.getMeta().addProfile(PROFILE);
        }
        return provenance;
    }

    /**
     * The patient's agreement the write records: signed by the patient (or whoever the agreement
     * names) on its date, by its method (digital, on paper, oral), and the version agreed to, when
     * it is not the version written.
     */
    private static void signed(Provenance provenance, Agreed agreed) {
        Extension agreement = agreed.agreement();
        Signature signature = provenance.addSignature();
        signature.addType(new Coding(SIGNATURE_TYPE, CONSENT_SIGNATURE, "Consent Signature"));
        Extension method = agreement.getExtensionByUrl("method");
        if (method != null && method.getValue() instanceof Coding coding) {
            signature.addType(coding.copy());
        }
        Extension date = agreement.getExtensionByUrl("date");
        signature.setWhen(date != null && date.getValue() instanceof DateTimeType when ? when.getValue() : new Date());
        signature.setWho(agreed.signer());
        Optional<String> version = agreed.version();
        IIdType target = agreed.written().getReferenceElement();
        if (version.isPresent() && !version.get().equals(target.getVersionIdPart())) {
            provenance
                    .addEntity()
                    .setRole(Provenance.ProvenanceEntityRole.SOURCE)
                    .setWhat(new Reference(
                            target.getResourceType() + "/" + target.getIdPart() + "/_history/" + version.get()));
        }
    }

    private static ProvenanceAgentComponent agent(Provenance provenance, String type) {
        ProvenanceAgentComponent agent = provenance.addAgent();
        agent.getType().addCoding(new Coding(PARTICIPANT_TYPE, type, null));
        return agent;
    }

    private static Reference hsaId(String hsaId) {
        return new Reference()
                .setIdentifier(
                        new Identifier().setSystem(SwedishIdentifiers.HSA_ID).setValue(hsaId));
    }

    /** The commission's purpose; "Vård och behandling" is treatment (v3 ActReason TREAT). */
    private static CodeableConcept reason(String purpose) {
        CodeableConcept reason = new CodeableConcept().setText(purpose);
        if (purpose.trim().equalsIgnoreCase("Vård och behandling")) {
            reason.addCoding(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT", null));
        }
        return reason;
    }

    private void store(Provenance provenance) {
        daoRegistry.getResourceDao(Provenance.class).create(provenance, new SystemRequestDetails());
    }
}
