package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.jpa.dao.index.DaoSearchParamSynchronizer;
import ca.uhn.fhir.jpa.model.entity.ResourceTable;
import ca.uhn.fhir.jpa.searchparam.extractor.ResourceIndexedSearchParams;
import ca.uhn.fhir.jpa.util.AddRemoveCount;

/**
 * HAPI's synchronisation of a resource's index rows on update, in time linear in their number.
 *
 * <p>When a resource is updated, HAPI FHIR 8.8.0 compares the index rows it extracted from the new
 * version with those stored for the old one, to insert and delete only the difference. It finds
 * what is new by asking, for every new row, whether the stored rows contain it, and the stored
 * rows come as a list: for a Group of n members (a {@code member} and a {@code current-member}
 * link each) that is some (2n)² row comparisons. Adding the fifth part of 75 år och äldre (38,903
 * members) to the some 30,000 stored ran for more than seven minutes without ending (a thread dump
 * showed {@code DaoSearchParamSynchronizer.subtract} in {@code ArrayList.contains}). The new rows
 * already come as hash sets; this class hands HAPI the stored rows as hash sets too, so each
 * comparison is one hash look-up. Everything else is HAPI's: the same rows are compared with the
 * same {@code equals}, and the same rows inserted and deleted.
 *
 * <p>Only resources with at least {@link #THRESHOLD} stored links take the copy; for the rest the
 * list costs nothing worth a copy.
 */
class LinearIndexSynchronizer extends DaoSearchParamSynchronizer {

    static final int THRESHOLD = 200;

    @Override
    public AddRemoveCount synchronizeSearchParamsToDatabase(
            ResourceIndexedSearchParams newParams, ResourceTable entity, ResourceIndexedSearchParams existingParams) {
        if (existingParams.myLinks.size() < THRESHOLD) {
            return super.synchronizeSearchParamsToDatabase(newParams, entity, existingParams);
        }
        return super.synchronizeSearchParamsToDatabase(newParams, entity, asSets(existingParams));
    }

    /** The same rows, in hash sets. */
    private static ResourceIndexedSearchParams asSets(ResourceIndexedSearchParams stored) {
        ResourceIndexedSearchParams sets = ResourceIndexedSearchParams.withSets();
        sets.myStringParams.addAll(stored.myStringParams);
        sets.myTokenParams.addAll(stored.myTokenParams);
        sets.myNumberParams.addAll(stored.myNumberParams);
        sets.myQuantityParams.addAll(stored.myQuantityParams);
        sets.myQuantityNormalizedParams.addAll(stored.myQuantityNormalizedParams);
        sets.myDateParams.addAll(stored.myDateParams);
        sets.myUriParams.addAll(stored.myUriParams);
        sets.myCoordsParams.addAll(stored.myCoordsParams);
        sets.myComboStringUniques.addAll(stored.myComboStringUniques);
        sets.myComboTokenNonUnique.addAll(stored.myComboTokenNonUnique);
        sets.myLinks.addAll(stored.myLinks);
        sets.mySearchParamPresentEntities.addAll(stored.mySearchParamPresentEntities);
        sets.myCompositeParams.addAll(stored.myCompositeParams);
        sets.myPopulatedResourceLinkParameters.addAll(stored.myPopulatedResourceLinkParameters);
        return sets;
    }
}
