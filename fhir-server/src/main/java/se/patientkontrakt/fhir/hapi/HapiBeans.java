package se.patientkontrakt.fhir.hapi;

import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;

/** Beans of HAPI's configuration classes that a class of ours takes the place of. */
final class HapiBeans {

    private HapiBeans() {}

    /**
     * Puts the class in place of the bean HAPI defines under the name, keeping the name, so every
     * user of the bean (by name or by type, and HAPI's configuration methods calling each other)
     * gets ours. The start fails if HAPI no longer defines it: a HAPI upgrade must look again.
     */
    static void replace(BeanDefinitionRegistry registry, String name, Class<?> replacement) {
        if (!registry.containsBeanDefinition(name)) {
            throw new IllegalStateException("HAPI defines no bean " + name + " to replace");
        }
        registry.removeBeanDefinition(name);
        registry.registerBeanDefinition(name, new RootBeanDefinition(replacement));
    }
}
