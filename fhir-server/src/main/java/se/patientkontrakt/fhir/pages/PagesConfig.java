package se.patientkontrakt.fhir.pages;

import java.net.URI;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The pages are static files under {@code static/} in the jar. Spring Boot serves
 * {@code index.html} by itself only at the root, so each page's folder forwards to its own, and the
 * address without the closing slash is redirected to it (the pages load their scripts relative to
 * it).
 */
@Configuration
class PagesConfig implements WebMvcConfigurer {

    static final String[] PAGES = {"/mitt-patientkontrakt", "/arbetslista"};

    /**
     * The pages' headers ({@link PageHeadersFilter}). The identity provider's endpoints are the
     * ones {@code .well-known/smart-configuration} publishes; read as plain settings, since the
     * pages know nothing of the access control itself.
     */
    @Bean
    FilterRegistrationBean<PageHeadersFilter> pageHeadersFilter(
            @Value("${patientkontrakt.security.token-endpoint:}") String tokenEndpoint,
            @Value("${patientkontrakt.security.authorization-endpoint:}") String authorizationEndpoint) {
        List<URI> endpoints = Stream.of(tokenEndpoint, authorizationEndpoint)
                .filter(endpoint -> !endpoint.isBlank())
                .map(URI::create)
                .toList();
        FilterRegistrationBean<PageHeadersFilter> registration =
                new FilterRegistrationBean<>(new PageHeadersFilter(endpoints));
        registration.addUrlPatterns("/*");
        // Early, so that the answers of the filters after it carry the headers too.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        for (String page : PAGES) {
            registry.addRedirectViewController(page, page + "/").setKeepQueryParams(true);
            registry.addViewController(page + "/").setViewName("forward:" + page + "/index.html");
        }
    }
}
