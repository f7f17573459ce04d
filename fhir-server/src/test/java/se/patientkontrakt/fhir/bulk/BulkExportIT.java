package se.patientkontrakt.fhir.bulk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import ca.uhn.fhir.batch2.api.IJobPersistence;
import ca.uhn.fhir.batch2.model.StatusEnum;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.model.sched.ISchedulerService;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quartz.JobKey;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.MalgruppFixture;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * Bulk Data export ({@code $export}) for the region's warehouse: kicked off, polled and downloaded by
 * a region-wide client's system token, and by no other token; another client, even a region-wide
 * one, does not learn that the export exists. Each test writes its own patients and narrows the
 * export to them with {@code _since} or the level, so the files stay small.
 */
class BulkExportIT extends SecuredFhirIT {

    @Autowired
    private BulkExportRetention retention;

    @Autowired
    private DaoRegistry daoRegistry;

    @Autowired
    private JpaStorageSettings storageSettings;

    @Autowired
    private ISchedulerService scheduler;

    @Autowired
    private IJobPersistence jobStore;

    @Autowired
    private PlatformTransactionManager transactionManager;

    private TransactionTemplate transaction;

    @BeforeEach
    void transactionTemplate() {
        transaction = new TransactionTemplate(transactionManager);
    }

    private static final String WAREHOUSE = TestTokens.regionWide("system/*.read system/Group.cruds");

    /** Another region-wide client (the 1177 portal's back end): not the export's owner. */
    private static final String PORTAL = TestTokens.token(
            c -> c.subject("portal-backend").claim("azp", "portal-1177").claim("scope", "system/*.read"));

    @Test
    void aSystemExportHoldsThePatientsAndContractsWrittenSinceItsStart() throws Exception {
        ContractFixture before = storedContract();
        Instant since = afterAMoment();
        ContractFixture first = storedContract();
        ContractFixture second = storedContract();

        Response manifest = exportAndWait(WAREHOUSE, "/$export?_type=Patient,CarePlan&_since=" + instant(since));

        assertThat(manifest.header("Expires")).isNotBlank();
        assertThat(manifest.jsonPath().getBoolean("requiresAccessToken")).isTrue();
        Map<String, List<IBaseResource>> files = download(WAREHOUSE, manifest);
        assertThat(files).containsOnlyKeys("Patient", "CarePlan");
        assertThat(ids(files.get("Patient")))
                .contains(first.patientId(), second.patientId())
                .doesNotContain(before.patientId());
        assertThat(ids(files.get("CarePlan")))
                .contains(first.contractId(), second.contractId())
                .doesNotContain(before.contractId());
    }

    @Test
    void typeNarrowsTheExport() throws Exception {
        Instant since = afterAMoment();
        ContractFixture contract = storedContract();

        Response manifest = exportAndWait(WAREHOUSE, "/$export?_type=CarePlan&_since=" + instant(since));

        Map<String, List<IBaseResource>> files = download(WAREHOUSE, manifest);
        assertThat(files).containsOnlyKeys("CarePlan");
        assertThat(ids(files.get("CarePlan"))).contains(contract.contractId());
    }

    @Test
    void aGroupExportHoldsOnlyItsMembersData() throws Exception {
        Instant since = afterAMoment();
        ContractFixture member = storedContract();
        ContractFixture other = storedContract();
        String group = "Group/export-" + member.suffix();
        Group malgrupp = MalgruppFixture.of(fhirContext, group, member.patientId());
        as(WAREHOUSE).body(json(malgrupp)).when().put("/" + group).then().statusCode(201);

        Response manifest =
                exportAndWait(WAREHOUSE, "/" + group + "/$export?_type=Patient,CarePlan&_since=" + instant(since));

        Map<String, List<IBaseResource>> files = download(WAREHOUSE, manifest);
        List<String> exported = new ArrayList<>(ids(files.get("Patient")));
        exported.addAll(ids(files.getOrDefault("CarePlan", List.of())));
        assertThat(exported)
                .contains(member.patientId(), member.contractId())
                .doesNotContain(other.patientId(), other.contractId());
    }

    @Test
    void aPatientExportIsLoggedOnceNamingThePatientAndWhatWasAsked() throws Exception {
        ContractFixture contract = storedContract();
        String filter = "CarePlan?status=active";

        Response manifest = exportAndWait(
                WAREHOUSE, "/" + contract.patientId() + "/$export?_type=Patient,CarePlan&_typeFilter=" + filter);

        assertThat(ids(download(WAREHOUSE, manifest).get("CarePlan"))).containsExactly(contract.contractId());
        Bundle log = search(
                WAREHOUSE,
                "/AuditEvent?patient=" + contract.patientId()
                        + "&type=http://dicom.nema.org/resources/ontology/DCM|110106");
        assertThat(log.getEntry()).hasSize(1);
        AuditEvent event = (AuditEvent) log.getEntryFirstRep().getResource();
        assertThat(event.getAgent()).anyMatch(agent -> "region-follow-up".equals(agent.getName()));
        AuditEvent.AuditEventEntityComponent query = event.getEntity().stream()
                .filter(e -> "24".equals(e.getRole().getCode()))
                .findFirst()
                .orElseThrow();
        assertThat(query.getDetail())
                .extracting(d -> d.getType() + "=" + d.getValue().primitiveValue())
                .containsExactly("level=patient", "_type=CarePlan,Patient", "_typeFilter=" + filter);
    }

    @ParameterizedTest
    @ValueSource(strings = {"patient", "care user", "care giver's system"})
    void noOtherTokenExports(String who) {
        ContractFixture contract = storedContract();
        String token = notAnExporter(who, contract);

        for (String path : List.of("/$export", "/Patient/$export", "/" + contract.patientId() + "/$export")) {
            Response response =
                    as(token).header("Prefer", "respond-async").when().get(path);

            response.then().statusCode(403);
            assertThat(diagnostics(response)).contains("region-wide clients");
        }
    }

    @Test
    void anotherClientDoesNotLearnThatTheExportExists() throws Exception {
        Instant since = afterAMoment();
        storedContract();
        String poll = kickOff(WAREHOUSE, "/$export?_type=Patient&_since=" + instant(since));

        Response theirs = await(PORTAL, poll);
        Response unknown = await(PORTAL, poll.replaceFirst("_jobId=.*", "_jobId=" + java.util.UUID.randomUUID()));
        Response manifest = await(WAREHOUSE, poll);

        assertThat(theirs.statusCode()).isEqualTo(404);
        assertThat(unknown.statusCode()).isEqualTo(404);
        String file = manifest.jsonPath().getString("output[0].url");
        Response download = RestAssured.given().auth().oauth2(PORTAL).when().get(file);
        assertThat(download.statusCode()).isEqualTo(404);
        assertThat(RestAssured.given().auth().oauth2(PORTAL).when().delete(poll).statusCode())
                .isEqualTo(404);
        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(file).statusCode())
                .isEqualTo(200);
        // No search, no other interaction: the files are read by id, by their owner alone.
        for (String acrossTypes : List.of("/?_type=Binary", "/_history?_since=" + instant(since))) {
            Response theirsAcross = as(PORTAL).when().get(acrossTypes);
            assertThat(theirsAcross.asString()).as(acrossTypes).doesNotContain(file.substring(file.indexOf("Binary/")));
        }
        Response search = as(WAREHOUSE).when().get("/Binary");
        assertThat(search.statusCode()).isEqualTo(400);
        assertThat(search.asString()).doesNotContain("\"Binary\",");
    }

    @Test
    void theOwnerCancelsAnExport() {
        String poll = kickOff(WAREHOUSE, "/$export?_type=Patient,CarePlan,CareTeam,Goal");

        Response cancelled = RestAssured.given().auth().oauth2(WAREHOUSE).when().delete(poll);

        assertThat(cancelled.statusCode()).isEqualTo(202);
        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll).statusCode())
                .isEqualTo(404);
    }

    @ParameterizedTest
    @ValueSource(strings = {"patient", "care user", "care giver's system"})
    void noOtherTokenFindsTheExportsLogEntryByItsJobId(String who) throws Exception {
        ContractFixture contract = storedContract();
        Instant since = afterAMoment();
        storedContract();
        String poll = kickOff(WAREHOUSE, "/$export?_type=Patient&_since=" + instant(since));
        exportAndWaitFor(WAREHOUSE, poll);
        String jobId = poll.substring(poll.indexOf("_jobId=") + "_jobId=".length());
        auditEventOf(WAREHOUSE, poll); // the owner finds it

        Response theirs = as(notAnExporter(who, contract)).when().get("/AuditEvent?entity-name=" + jobId);

        assertThat(theirs.statusCode()).as(theirs.asString()).isIn(200, 403);
        if (theirs.statusCode() == 200) {
            Bundle found = parse(theirs, Bundle.class);
            assertThat(found.getEntry()).isEmpty();
            assertThat(found.hasTotal() ? found.getTotal() : 0).isZero();
        }
    }

    @Test
    void aKickOffWithoutPreferRespondAsyncIsRefused() {
        Response response = as(WAREHOUSE).when().get("/$export?_type=Patient");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("respond-async");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Observation", "Subscription", "Binary"})
    void aTypeThisServiceDoesNotExportIsRefused(String type) {
        Response response =
                as(WAREHOUSE).header("Prefer", "respond-async").when().get("/$export?_type=Patient," + type);

        response.then().statusCode(400);
        assertThat(outcome(response).getIssueFirstRep().getLocation().get(0).getValue())
                .isEqualTo("http._type");
        assertThat(diagnostics(response)).contains(type);
    }

    @Test
    void aPostKickOffWithParametersIsTheSameExportAndLoggedAlike() throws Exception {
        Instant since = afterAMoment();
        ContractFixture contract = storedContract();
        Parameters body = new Parameters();
        body.addParameter("_type", new StringType("Patient,CarePlan"));
        body.addParameter("_since", new InstantType(java.util.Date.from(since)));
        body.addParameter("_typeFilter", new StringType("CarePlan?status=active"));

        String poll = postKickOff(WAREHOUSE, "/$export", body);

        Map<String, List<IBaseResource>> files = download(WAREHOUSE, exportAndWaitFor(WAREHOUSE, poll));
        assertThat(files).containsOnlyKeys("Patient", "CarePlan");
        assertThat(ids(files.get("CarePlan"))).contains(contract.contractId());
        AuditEvent event = auditEventOf(WAREHOUSE, poll);
        assertThat(query(event).getDetail())
                .extracting(d -> d.getType() + "=" + d.getValue().primitiveValue())
                .containsExactly(
                        "level=system",
                        "_type=CarePlan,Patient",
                        "_since=" + new InstantType(java.util.Date.from(since)).getValueAsString(),
                        "_typeFilter=CarePlan?status=active");
    }

    @ParameterizedTest
    @ValueSource(strings = {"patient", "care user", "care giver's system"})
    void noOtherTokenExportsByPostEither(String who) {
        ContractFixture contract = storedContract();
        String token = notAnExporter(who, contract);
        Parameters body = new Parameters();
        body.addParameter("_type", new StringType("Patient"));

        for (String path : List.of("/$export", "/Patient/$export", "/" + contract.patientId() + "/$export")) {
            Response response = as(token)
                    .header("Prefer", "respond-async")
                    .body(json(body))
                    .when()
                    .post(path);

            response.then().statusCode(403);
            assertThat(diagnostics(response)).contains("region-wide clients");
        }
    }

    @Test
    void aPostKickOffIsCheckedAsAGetOne() {
        Parameters body = new Parameters();
        body.addParameter("_type", new StringType("Patient,Observation"));

        Response response = as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .body(json(body))
                .when()
                .post("/$export");

        response.then().statusCode(400);
        assertThat(outcome(response).getIssueFirstRep().getLocation().get(0).getValue())
                .isEqualTo("http._type");
    }

    /**
     * Queries joined with commas in one _typeFilter, one of them holding a comma of its own: HAPI
     * would export every CareTeam here, so the kick-off is refused; each query in a parameter of its
     * own is the same request, accepted.
     */
    @Test
    void aTypeFilterWhoseQueriesCannotBeToldApartIsRefused() {
        String joined = "CarePlan?_id=a,b,CareTeam?_id=c";

        Response refused = as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .queryParam("_type", "CarePlan,CareTeam")
                .queryParam("_typeFilter", joined)
                .when()
                .get("/$export");

        refused.then().statusCode(400);
        assertThat(outcome(refused).getIssueFirstRep().getLocation().get(0).getValue())
                .isEqualTo("http._typeFilter");
        assertThat(diagnostics(refused)).contains(joined).contains("a _typeFilter parameter of its own");

        Parameters body = new Parameters();
        body.addParameter("_type", new StringType("CarePlan,CareTeam"));
        body.addParameter("_typeFilter", new StringType(joined));
        as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .body(json(body))
                .when()
                .post("/$export")
                .then()
                .statusCode(400);

        Response apart = as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .queryParam("_type", "CarePlan,CareTeam")
                .queryParam("_typeFilter", "CarePlan?_id=a,b")
                .queryParam("_typeFilter", "CareTeam?_id=c")
                .when()
                .get("/$export");
        apart.then().statusCode(202);
        as(WAREHOUSE).when().delete(apart.header("Content-Location")).then().statusCode(202);
    }

    @Test
    void untilLeavesOutWhatChangedAfterIt() throws Exception {
        Instant since = afterAMoment();
        ContractFixture inside = storedContract();
        Instant until = afterAMoment();
        ContractFixture after = storedContract();

        String poll =
                kickOff(WAREHOUSE, "/$export?_type=Patient&_since=" + instant(since) + "&_until=" + instant(until));

        assertThat(ids(download(WAREHOUSE, exportAndWaitFor(WAREHOUSE, poll)).get("Patient")))
                .contains(inside.patientId())
                .doesNotContain(after.patientId());
        assertThat(query(auditEventOf(WAREHOUSE, poll)).getDetail())
                .extracting(d -> d.getType() + "=" + d.getValue().primitiveValue())
                .contains("_until=" + new InstantType(java.util.Date.from(until)).getValueAsString());
    }

    @Test
    void patientNamesThePatientsOfAPatientExport() throws Exception {
        ContractFixture first = storedContract();
        ContractFixture second = storedContract();
        ContractFixture other = storedContract();

        Parameters body = new Parameters();
        body.addParameter("_type", new StringType("Patient,CarePlan"));
        body.addParameter().setName("patient").setValue(new Reference(first.patientId()));
        body.addParameter().setName("patient").setValue(new Reference(second.patientId()));

        String poll = postKickOff(WAREHOUSE, "/Patient/$export", body);

        Map<String, List<IBaseResource>> files = download(WAREHOUSE, exportAndWaitFor(WAREHOUSE, poll));
        List<String> exported = new ArrayList<>(ids(files.get("Patient")));
        exported.addAll(ids(files.get("CarePlan")));
        assertThat(exported)
                .containsExactlyInAnyOrder(
                        first.patientId(), second.patientId(), first.contractId(), second.contractId())
                .doesNotContain(other.patientId());
        AuditEvent event = auditEventOf(WAREHOUSE, poll);
        assertThat(event.getEntity())
                .filteredOn(e -> "1".equals(e.getRole().getCode()))
                .extracting(e -> e.getWhat().getReference())
                .containsExactlyInAnyOrder(first.patientId(), second.patientId());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/Patient/$export", "/$export"})
    void patientInTheQueryIsRefusedByName(String path) {
        ContractFixture contract = storedContract();

        Response response = as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .when()
                .get(path + "?_type=Patient&patient=" + contract.patientId());

        response.then().statusCode(400);
        assertThat(outcome(response).getIssueFirstRep().getLocation().get(0).getValue())
                .isEqualTo("http.patient");
    }

    @Test
    void aPatientThatIsNotThereIsRefusedByName() {
        Parameters body = new Parameters();
        body.addParameter("_type", new StringType("Patient"));
        body.addParameter().setName("patient").setValue(new Reference("Patient/no-such-patient"));

        Response response = as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .body(json(body))
                .when()
                .post("/Patient/$export");

        assertThat(response.statusCode()).as(response.asString()).isBetween(400, 499);
        assertThat(diagnostics(response)).contains("no-such-patient");
    }

    @Test
    void aYoungExportIsPolledAgainSoon() {
        String poll = kickOff(WAREHOUSE, "/$export?_type=Patient,CarePlan,CareTeam,Goal");

        Response status = RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll);

        status.then().statusCode(202);
        assertThat(Integer.parseInt(status.header("Retry-After"))).isBetween(1, 5);
    }

    @Test
    void aDeleteOfACompletedExportDeletesItsFiles() throws Exception {
        CompletedExport export = completedExport("Patient,CarePlan");
        String poll = export.poll();
        List<String> files = export.files();

        Response deleted = RestAssured.given().auth().oauth2(WAREHOUSE).when().delete(poll);

        assertThat(deleted.statusCode()).as(deleted.asString()).isEqualTo(202);
        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll).statusCode())
                .isEqualTo(404);
        assertNotServed(files);
        assertThat(RestAssured.given()
                        .auth()
                        .oauth2(WAREHOUSE)
                        .when()
                        .delete(poll)
                        .statusCode())
                .isEqualTo(404);
        awaitNoVersionStored(files);
        auditEventOf(WAREHOUSE, poll);
    }

    @Test
    void anExportPastItsRetentionIsRemovedWithEveryVersionOfItsFiles() throws Exception {
        CompletedExport export = completedExport("Patient,CarePlan");
        String poll = export.poll();
        List<String> files = export.files();

        retention.removeExpired();

        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll).statusCode())
                .as("an export within its retention period stays")
                .isEqualTo(200);

        Instant later = Instant.now().plusSeconds(60);
        assertThat(retention.removeEndedBefore(later, later)).isPositive();

        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll).statusCode())
                .isEqualTo(404);
        assertNotServed(files);
        assertNoVersionStored(files);
    }

    @Test
    void aFileDeletedButStillInTheHistoryIsExpungedByTheNextPass() {
        IdType id = storeFile(null);
        binaries().delete(id, new SystemRequestDetails());
        assertThat(binaries()
                        .read(id.withVersion("1"), new SystemRequestDetails())
                        .getData())
                .as("deleted, not expunged: the content is still in the history")
                .isNotEmpty();

        retention.removeEndedBefore(Instant.EPOCH, Instant.EPOCH);

        assertNoVersionStored(List.of(id.getValue()));
    }

    @Test
    void theRemovalRunsOnHapisSchedulerAndHapisOwnCleanUpIsOff() throws Exception {
        assertThat(storageSettings.isEnableTaskBulkExportJobExecution()).isFalse();
        assertThat(scheduler.getClusteredJobKeysForUnitTest())
                .extracting(JobKey::getName)
                .contains(BulkExportRetention.Pass.class.getName());
    }

    @Test
    void aDeletedExportWhoseRemovalWasCutOffIsRemovedByTheNextPass() throws Exception {
        CompletedExport export = completedExport("Patient");
        String poll = export.poll();
        String jobId = export.jobId();
        List<String> files = export.files();
        // Marked deleted as a DELETE does, as if the node stopped before it removed the files.
        transaction.executeWithoutResult(status -> jobStore.updateInstance(jobId, instance -> {
            instance.setStatus(StatusEnum.CANCELLED);
            instance.setEndTime(new Date());
            return true;
        }));
        assertNotServed(files);

        retention.removeEndedBefore(Instant.EPOCH, Instant.now().plusSeconds(60));

        assertNoVersionStored(files);
    }

    @Test
    void theFilesOfAnExportCancelledWhileItRanAreRemovedThoughNoReportListsThem() throws Exception {
        CompletedExport export = completedExport("Patient,CarePlan");
        String poll = export.poll();
        String jobId = export.jobId();
        List<String> files = export.files();
        Binary stored =
                binaries().read(new IdType(files.get(0)).toUnqualifiedVersionless(), new SystemRequestDetails());
        assertThat(stored.getMeta().getTag(ExportFileTags.SYSTEM, jobId))
                .as("HAPI's file is tagged with its export")
                .isNotNull();
        // As HAPI leaves an export cancelled while it ran: no report, no end time, and a file
        // written after the cancel.
        String lateFile = storeFile(jobId).getValue();
        transaction.executeWithoutResult(status -> jobStore.updateInstance(jobId, instance -> {
            instance.setStatus(StatusEnum.CANCELLED);
            instance.setReport(null);
            instance.setEndTime(null);
            return true;
        }));

        retention.removeEndedBefore(Instant.EPOCH, Instant.now().plusSeconds(60));

        List<String> all = new ArrayList<>(files);
        all.add(lateFile);
        assertNoVersionStored(all);
    }

    @Test
    void aFileOfAnExportThatIsGoneIsRemovedAndTheFilesOfAnExportThatIsThereAreKept() throws Exception {
        CompletedExport kept = completedExport("Patient,CarePlan");
        // One of its files as a server from before the tags stored it: named by HAPI's extension only.
        IdType untaggedButKept = new IdType(kept.files().get(0)).toUnqualifiedVersionless();
        untag(untaggedButKept, kept.jobId());
        // Written for an export that is gone: after its removal (tagged), and before the tags (untagged).
        IdType late = storeFile("an-export-removed-earlier");
        IdType leftBeforeTheTags = storeFile("an-export-cancelled-earlier");
        untag(leftBeforeTheTags, "an-export-cancelled-earlier");
        IdType namingNoExport = storeFile(null);

        retention.removeOrphans(Instant.now().minusSeconds(600));
        assertThat(binaries().read(late, new SystemRequestDetails()))
                .as("a file written in the last ten minutes waits")
                .isNotNull();

        assertThat(retention.removeOrphans(Instant.now().plusSeconds(60))).isGreaterThanOrEqualTo(2);

        assertNoVersionStored(List.of(late.getValue(), leftBeforeTheTags.getValue()));
        assertServedAs(kept.files(), 200);
        assertThat(binaries().read(namingNoExport, new SystemRequestDetails()))
                .as("a Binary that names no export is not this pass's to remove")
                .isNotNull();
    }

    /** Takes the export's tag off a stored file, as a file stored before {@link ExportFileTags} is. */
    private void untag(IdType file, String jobId) {
        Meta tag = new Meta();
        tag.addTag().setSystem(ExportFileTags.SYSTEM).setCode(jobId);
        binaries().metaDeleteOperation(file, tag, new SystemRequestDetails());
        assertThat(binaries().read(file, new SystemRequestDetails()).getMeta().getTag(ExportFileTags.SYSTEM, jobId))
                .isNull();
    }

    /** A small export of a contract stored just now, completed: its poll address, its id and its files. */
    private record CompletedExport(String poll, String jobId, List<String> files) {}

    private CompletedExport completedExport(String types) throws InterruptedException {
        Instant since = afterAMoment();
        storedContract();
        String poll = kickOff(WAREHOUSE, "/$export?_type=" + types + "&_since=" + instant(since));
        List<String> files = exportAndWaitFor(WAREHOUSE, poll).jsonPath().getList("output.url");
        assertThat(files).isNotEmpty();
        return new CompletedExport(poll, poll.substring(poll.indexOf("_jobId=") + "_jobId=".length()), files);
    }

    /** An export file stored as HAPI stores one, naming the export {@code jobId} if not null. */
    private IdType storeFile(String jobId) {
        Binary file = new Binary().setContentType("application/fhir+ndjson");
        file.setData("{\"resourceType\":\"Patient\"}\n".getBytes(StandardCharsets.UTF_8));
        if (jobId != null) {
            file.getMeta().addExtension(BulkExportFiles.JOB_ID, new StringType(jobId));
        }
        return (IdType)
                binaries().create(file, new SystemRequestDetails()).getId().toUnqualifiedVersionless();
    }

    /** Each file answers its owner 404. */
    private static void assertNotServed(List<String> files) {
        assertServedAs(files, 404);
    }

    /** Each file answers its owner with {@code status}. */
    private static void assertServedAs(List<String> files, int status) {
        for (String file : files) {
            assertThat(RestAssured.given()
                            .auth()
                            .oauth2(WAREHOUSE)
                            .when()
                            .get(file)
                            .statusCode())
                    .as(file)
                    .isEqualTo(status);
        }
    }

    private IFhirResourceDao<Binary> binaries() {
        return daoRegistry.getResourceDao(Binary.class);
    }

    /** The removal after a DELETE runs in the background: a few seconds for a small export. */
    private void awaitNoVersionStored(List<String> files) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                assertNoVersionStored(files);
                return;
            } catch (AssertionError e) {
                Thread.sleep(200);
            }
        }
        assertNoVersionStored(files);
    }

    /** Not even the first version of each file is stored any longer: expunged, not only deleted. */
    private void assertNoVersionStored(List<String> files) {
        for (String file : files) {
            IdType first = new IdType("Binary", new IdType(file).getIdPart(), "1");
            assertThatThrownBy(() -> binaries().read(first, new SystemRequestDetails()))
                    .as(file)
                    .isInstanceOf(ResourceNotFoundException.class);
        }
    }

    private Response exportAndWait(String token, String kickOff) throws InterruptedException {
        return exportAndWaitFor(token, kickOff(token, kickOff));
    }

    private Response exportAndWaitFor(String token, String poll) throws InterruptedException {
        Response manifest = await(token, poll);
        assertThat(manifest.statusCode()).as(manifest.asString()).isEqualTo(200);
        return manifest;
    }

    private static String kickOff(String token, String path) {
        Response response = as(token).header("Prefer", "respond-async").when().get(path);
        response.then().statusCode(202);
        String poll = response.header("Content-Location");
        assertThat(poll).contains("$export-poll-status?_jobId=");
        return poll;
    }

    private String postKickOff(String token, String path, Parameters body) {
        Response response = as(token)
                .header("Prefer", "respond-async")
                .body(json(body))
                .when()
                .post(path);
        response.then().statusCode(202);
        return response.header("Content-Location");
    }

    /** Polls until the answer is no longer 202 (in progress), with a short sleep. */
    private static Response await(String token, String poll) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            Response response = RestAssured.given().auth().oauth2(token).when().get(poll);
            if (response.statusCode() != 202) {
                return response;
            }
            assertThat(response.header("X-Progress")).isNotBlank();
            assertThat(Integer.parseInt(response.header("Retry-After"))).isBetween(1, 60);
            Thread.sleep(250);
        }
        return fail("the export did not complete within a minute: " + poll);
    }

    /** Every file of the manifest, each line parsed, by type. */
    private Map<String, List<IBaseResource>> download(String token, Response manifest) {
        Map<String, List<IBaseResource>> files = new java.util.TreeMap<>();
        JsonPath json = manifest.jsonPath();
        List<Map<String, String>> outputs = json.getList("output");
        for (Map<String, String> output : outputs) {
            Response file = RestAssured.given()
                    .auth()
                    .oauth2(token)
                    .accept("application/fhir+ndjson")
                    .when()
                    .get(output.get("url"));
            file.then().statusCode(200);
            for (String line : file.asString().split("\n")) {
                if (!line.isBlank()) {
                    files.computeIfAbsent(output.get("type"), t -> new ArrayList<>())
                            .add(fhirContext.newJsonParser().parseResource(line));
                }
            }
        }
        return files;
    }

    /** The export's one AuditEvent, found by the job id of its status URL. */
    private AuditEvent auditEventOf(String token, String poll) {
        String jobId = poll.substring(poll.indexOf("_jobId=") + "_jobId=".length());
        Bundle log = search(token, "/AuditEvent?entity-name=" + jobId);
        assertThat(log.getEntry()).hasSize(1);
        return (AuditEvent) log.getEntryFirstRep().getResource();
    }

    private static AuditEvent.AuditEventEntityComponent query(AuditEvent event) {
        return event.getEntity().stream()
                .filter(e -> "24".equals(e.getRole().getCode()))
                .findFirst()
                .orElseThrow();
    }

    private static List<String> ids(List<IBaseResource> resources) {
        return resources.stream()
                .map(r -> r.getIdElement().toUnqualifiedVersionless().getValue())
                .toList();
    }

    /** A moment between what a test wrote before and what it writes after. */
    private static Instant afterAMoment() throws InterruptedException {
        Thread.sleep(1100);
        Instant now = Instant.now();
        Thread.sleep(1100);
        return now;
    }

    /** A token that may read the contract but is not a region-wide client's: it never exports. */
    private static String notAnExporter(String who, ContractFixture contract) {
        return switch (who) {
            case "patient" -> TestTokens.patient(contract.patientId(), "patient/*.read");
            case "care user" -> TestTokens.practitioner("user/*.read");
            default -> EHR;
        };
    }

    private static String instant(Instant instant) {
        return new InstantType(java.util.Date.from(instant)).getValueAsString().replace("+", "%2B");
    }
}
