package dev.turnout;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the rule of {@code package-info.java} in {@code dev.turnout}: packages depend downwards only. */
class ArchitectureTest {

    private static final JavaClasses TURNOUT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.turnout");

    @Test
    void packagesDependDownwardsOnly() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("command line").definedBy("dev.turnout")
                .layer("admin").definedBy("dev.turnout.admin..")
                .layer("demo").definedBy("dev.turnout.demo..")
                .layer("cli").definedBy("dev.turnout.cli..")
                .layer("proxy").definedBy("dev.turnout.proxy..")
                .layer("metrics").definedBy("dev.turnout.metrics..")
                .layer("cluster").definedBy("dev.turnout.cluster..")
                .layer("health").definedBy("dev.turnout.health..")
                .layer("state").definedBy("dev.turnout.state..")
                .layer("routing").definedBy("dev.turnout.routing..")
                .layer("upstream").definedBy("dev.turnout.upstream..")
                .layer("config").definedBy("dev.turnout.config..")
                .layer("base").definedBy("dev.turnout.base..")
                .whereLayer("command line").mayNotBeAccessedByAnyLayer()
                .whereLayer("admin").mayOnlyBeAccessedByLayers("command line")
                .whereLayer("demo").mayOnlyBeAccessedByLayers("command line")
                .whereLayer("cli").mayOnlyBeAccessedByLayers("command line")
                .whereLayer("proxy").mayOnlyBeAccessedByLayers("admin", "command line")
                .whereLayer("metrics").mayOnlyBeAccessedByLayers("proxy", "admin", "command line")
                .whereLayer("cluster").mayOnlyBeAccessedByLayers("admin", "command line")
                .whereLayer("health").mayOnlyBeAccessedByLayers("admin", "command line")
                .whereLayer("state").mayOnlyBeAccessedByLayers("metrics", "cluster", "admin", "command line")
                .whereLayer("routing").mayOnlyBeAccessedByLayers("metrics", "proxy", "health", "state", "admin", "command line")
                .whereLayer("upstream").mayOnlyBeAccessedByLayers("routing", "metrics", "proxy", "health", "state", "admin", "command line")
                .whereLayer("config").mayOnlyBeAccessedByLayers("upstream", "routing", "metrics", "proxy", "health", "state", "cluster", "admin", "cli", "command line")
                .check(TURNOUT);
    }

    @Test
    void theOperatorsCommandsTalkToTheAdminApiOnlyOverHttp() {
        classes().that().resideInAPackage("dev.turnout.cli..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "dev.turnout.cli..", "dev.turnout.config..", "dev.turnout.base..", "java..", "picocli..", "com.fasterxml.jackson..")
                .check(TURNOUT);
    }

    @Test
    void packagesFormNoCycle() {
        slices().matching("dev.turnout.(*)..").should().beFreeOfCycles().check(TURNOUT);
    }
}
