package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.api.svc.ResolveIdentityMode;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.jpa.model.cross.IResourceLookup;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Organization;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Resolving several ids at once, as a transaction Bundle does: the server's id resolution (one id
 * per query on H2, HAPI's single query elsewhere) answers as HAPI's does.
 */
class OneByOneIdResolutionIT extends FhirIT {

    @Autowired
    private IIdHelperService<JpaPid> ids;

    @Autowired
    private IHapiTransactionService transactions;

    @Test
    void theServerResolvesIdsWithItsOwnResolution() {
        assertThat(ids).isInstanceOf(OneByOneIdResolution.class);
    }

    @Test
    void severalIdsResolveToTheirResourcesAndAnUnknownOneToNothing() {
        String first = create(new Organization().setName("first"));
        String second = create(new Organization().setName("second"));
        String deleted = create(new Organization().setName("deleted"));
        fhir().when().delete("/Organization/" + deleted).then().statusCode(200);
        String unknown = "unknown-" + UUID.randomUUID();

        List<IIdType> asked = List.of(
                new IdType("Organization", first),
                new IdType("Organization", second),
                new IdType("Organization", first),
                new IdType("Organization", deleted),
                new IdType("Organization", unknown));
        Map<IIdType, IResourceLookup<JpaPid>> found =
                resolve(asked, ResolveIdentityMode.excludeDeleted().noCacheUnlessDeletesDisabled());
        Map<IIdType, IResourceLookup<JpaPid>> withDeleted =
                resolve(asked, ResolveIdentityMode.includeDeleted().noCacheUnlessDeletesDisabled());

        assertThat(found.keySet())
                .extracting(IIdType::getValue)
                .containsExactlyInAnyOrder("Organization/" + first, "Organization/" + second);
        assertThat(found.values()).extracting(IResourceLookup::getFhirId).containsExactlyInAnyOrder(first, second);
        assertThat(found.get(new IdType("Organization", first)).getPersistentId())
                .isNotEqualTo(found.get(new IdType("Organization", second)).getPersistentId());
        assertThat(withDeleted.keySet())
                .extracting(IIdType::getValue)
                .containsExactlyInAnyOrder(
                        "Organization/" + first, "Organization/" + second, "Organization/" + deleted);
        assertThat(withDeleted.get(new IdType("Organization", deleted)).getDeleted())
                .isNotNull();
    }

    private Map<IIdType, IResourceLookup<JpaPid>> resolve(List<IIdType> asked, ResolveIdentityMode mode) {
        return transactions
                .withSystemRequest()
                .execute(() -> ids.resolveResourceIdentities(RequestPartitionId.allPartitions(), asked, mode));
    }
}
