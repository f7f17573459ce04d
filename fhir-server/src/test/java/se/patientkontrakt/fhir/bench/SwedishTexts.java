package se.patientkontrakt.fhir.bench;

import java.util.List;

/**
 * Names, places and contract wording for the synthetic population, in the style of the example
 * contracts (Region Kalmar's and Region Gävleborg's templates). Phone numbers come from the
 * ranges the Swedish Post and Telecom Authority (PTS) reserves for fiction, so no generated
 * number reaches a real person.
 */
final class SwedishTexts {

    private SwedishTexts() {}

    static final List<String> FEMALE_NAMES = List.of(
            "Anna",
            "Eva",
            "Maria",
            "Karin",
            "Kristina",
            "Lena",
            "Sara",
            "Elin",
            "Ingrid",
            "Birgitta",
            "Margareta",
            "Elisabeth",
            "Emma",
            "Johanna",
            "Linnéa",
            "Maja",
            "Astrid",
            "Ebba",
            "Fatima",
            "Aisha",
            "Marta",
            "Sofia",
            "Ida",
            "Greta",
            "Ulla",
            "Gunilla",
            "Kerstin",
            "Agneta",
            "Inger",
            "Wilma");

    static final List<String> MALE_NAMES = List.of(
            "Lars",
            "Anders",
            "Johan",
            "Per",
            "Karl",
            "Erik",
            "Nils",
            "Olof",
            "Gustav",
            "Mikael",
            "Jonas",
            "Oscar",
            "Lucas",
            "William",
            "Hugo",
            "Ali",
            "Mohammed",
            "Ahmed",
            "Sven",
            "Bengt",
            "Göran",
            "Kjell",
            "Bo",
            "Stig",
            "Arne",
            "Leif",
            "Magnus",
            "Henrik",
            "Elias",
            "Liam");

    static final List<String> FAMILY_NAMES = List.of(
            "Andersson",
            "Johansson",
            "Karlsson",
            "Nilsson",
            "Eriksson",
            "Larsson",
            "Olsson",
            "Persson",
            "Svensson",
            "Gustafsson",
            "Pettersson",
            "Jonsson",
            "Jansson",
            "Hansson",
            "Bengtsson",
            "Jönsson",
            "Lindberg",
            "Jakobsson",
            "Magnusson",
            "Lindström",
            "Lindqvist",
            "Lindgren",
            "Berg",
            "Axelsson",
            "Bergström",
            "Lundberg",
            "Lind",
            "Lundgren",
            "Lundqvist",
            "Mattsson",
            "Berglund",
            "Fredriksson",
            "Sandberg",
            "Henriksson",
            "Ali",
            "Hassan",
            "Rahimi",
            "Forsberg",
            "Sjöberg",
            "Wallin",
            "Engström",
            "Eklund",
            "Danielsson",
            "Holm",
            "Nyberg",
            "Ek");

    static final List<String> TOWNS = List.of(
            "Kalmar",
            "Nybro",
            "Oskarshamn",
            "Västervik",
            "Vimmerby",
            "Emmaboda",
            "Torsås",
            "Mönsterås",
            "Borgholm",
            "Mörbylånga",
            "Gävle",
            "Sandviken",
            "Hudiksvall",
            "Bollnäs",
            "Söderhamn",
            "Ljusdal",
            "Ockelbo",
            "Hofors",
            "Nordanstig",
            "Ovanåker",
            "Växjö",
            "Ljungby",
            "Jönköping",
            "Karlskrona",
            "Norrköping");

    static final List<String> STREETS = List.of(
            "Storgatan",
            "Kungsgatan",
            "Drottninggatan",
            "Järnvägsgatan",
            "Skolgatan",
            "Parkvägen",
            "Björkvägen",
            "Tallvägen",
            "Ängsvägen",
            "Kyrkogatan",
            "Södra vägen",
            "Norra Långgatan");

    static final List<String> CLINICS = List.of(
            "Medicinkliniken",
            "Ortopedkliniken",
            "Geriatriska kliniken",
            "Psykiatriska öppenvårdsmottagningen",
            "Hjärtmottagningen");

    static final List<String> ADULT_CONDITIONS = List.of(
            "hjärtsvikt",
            "diabetes typ 2",
            "KOL",
            "artros",
            "depression",
            "kognitiv svikt",
            "kronisk njursvikt",
            "förmaksflimmer",
            "astma",
            "reumatoid artrit",
            "långvarig smärta",
            "Parkinsons sjukdom");

    static final List<String> CHILD_CONDITIONS =
            List.of("astma", "diabetes typ 1", "epilepsi", "ADHD", "svår eksem", "cystisk fibros");

    static final List<String> WHAT_MATTERS = List.of(
            "Att få bo kvar hemma och klara vardagen själv.",
            "Att orka leka med barnbarnen och vara med på deras aktiviteter.",
            "Att kunna gå promenader i skogen med hunden igen.",
            "Att slippa åka in akut och få veta vem jag ska ringa.",
            "Att kunna fortsätta arbeta, åtminstone på deltid.",
            "Att sova bättre och ha ork kvar på kvällarna.",
            "Att kunna sköta trädgården och sommarstugan.",
            "Att inte behöva berätta min historia på nytt för varje ny kontakt.",
            "Att klara skolan och kunna vara med på idrotten.",
            "Att få träffa samma läkare och sjuksköterska varje gång.",
            "Att kunna resa och hälsa på familjen i andra delar av landet.",
            "Att känna mig trygg på natten.");

    /** A shared goal and its ambition level (code in pk-ambition-level). */
    record SharedGoal(String text, String ambition, String ambitionDisplay) {}

    static final List<SharedGoal> SHARED_GOALS = List.of(
            new SharedGoal("Färre akuta besök och inläggningar under året.", "bibehalla", "Bibehålla"),
            new SharedGoal("Stabilt blodsocker med HbA1c under 60 inom ett halvår.", "forbattra", "Förbättra"),
            new SharedGoal("Kunna gå 500 meter utan vila före sommaren.", "forbattra", "Förbättra"),
            new SharedGoal("Bromsa försämringen av njurfunktionen.", "bromsa", "Bromsa"),
            new SharedGoal("Smärtfri nog att sova hela natten.", "lindra", "Lindra"),
            new SharedGoal("Tillbaka i arbete på halvtid efter sjukskrivningen.", "forbattra", "Förbättra"),
            new SharedGoal("Läka bensåret helt.", "bota", "Bota"),
            new SharedGoal("Bo kvar hemma med stöd av hemtjänst och hemsjukvård.", "bibehalla", "Bibehålla"),
            new SharedGoal("Lindra andnöden så att vardagen fungerar.", "lindra", "Lindra"),
            new SharedGoal("Bromsa minnesförlusten och behålla självständigheten.", "bromsa", "Bromsa"));

    static final List<String> PATIENT_RESPONSIBILITIES = List.of(
            "Väga mig varje morgon och ringa om vikten ökat mer än 2 kg på tre dagar.",
            "Ta mina läkemedel enligt dosrullen morgon och kväll.",
            "Mäta blodsockret före frukost och skriva upp värdet i appen.",
            "Gå en promenad på minst 20 minuter varje dag.",
            "Göra mina träningsövningar från fysioterapeuten tre gånger i veckan.",
            "Använda inhalatorn som jag visats och ta med den till besöken.",
            "Mäta blodtrycket hemma en vecka före varje återbesök.",
            "Skriva ner frågor inför besöken och ta med en anhörig när jag vill.",
            "Höra av mig via 1177 om något i planen inte fungerar.",
            "Äta fem små mål om dagen enligt dietistens råd.",
            "Sluta röka med stöd av rökavvänjningen.",
            "Föra sömndagbok i två veckor inför nästa besök.");

    static final List<String> CARE_BY_NURSE = List.of(
            "Sjuksköterskan följer upp vikt, blodtryck och symtom var fjärde vecka.",
            "Sjuksköterskan samordnar kontakterna mellan vårdcentral, sjukhus och kommun.",
            "Sjuksköterskan ringer upp inom två vardagar efter varje utskrivning från sjukhus.",
            "Sjuksköterskan ser till att provsvar och remissvar når patienten inom en vecka.",
            "Sjuksköterskan gör hembesök varannan vecka och kontrollerar läkemedelslistan.");

    static final List<String> CARE_BY_PHYSICIAN = List.of(
            "Fast läkarkontakt gör en läkemedelsgenomgång två gånger om året.",
            "Fast läkarkontakt bedömer provsvar och justerar behandlingen vid behov.",
            "Fast läkarkontakt skriver remiss och följer upp specialistbedömningen.",
            "Fast läkarkontakt ansvarar för helheten i den medicinska behandlingen.");

    static final List<String> CARE_BY_HOME_CARE = List.of(
            "Hemtjänsten hjälper med dusch, inköp och tillsyn enligt SIP:en.",
            "Hemtjänsten meddelar sjuksköterskan om patienten verkar tröttare eller mer andfådd.",
            "Hemtjänsten ger läkemedel ur dosrullen morgon och kväll.");

    static final List<String> ESCALATIONS = List.of(
            "Vid ökad andfåddhet eller svullna ben: ring din fasta vårdkontakt vardagar 8–16, övrig tid 1177. "
                    + "Vid svår andnöd eller bröstsmärta: ring 112.",
            "Vid blodsocker över 20 eller under 4 som inte går att häva: ring vårdcentralen, övrig tid 1177.",
            "Vid feber över 38,5 med hosta och andfåddhet: ring vårdcentralen samma dag, kvällar och helger 1177.",
            "Om du mår sämre psykiskt eller har tankar på att skada dig: ring mottagningen direkt, "
                    + "övrig tid 1177 eller 112.",
            "Vid fall, ny förvirring eller om du inte kan ta dig upp: ring hemtjänstens larm eller 112.",
            "Vid ökad smärta som inte lindras av dina läkemedel: ring din fasta vårdkontakt eller 1177.");

    static final List<String> NEXT_STEPS = List.of(
            "Läkemedelsgenomgång hos fast läkarkontakt.",
            "Återbesök på vårdcentralen för att gå igenom provsvar.",
            "Hembesök av sjuksköterskan för att se över hjälpmedel och läkemedel.",
            "Telefonuppföljning efter utskrivningen från sjukhuset.",
            "Bedömning av fysioterapeut inför träningsprogram.",
            "Provtagning: HbA1c, njurfunktion och blodstatus.",
            "Besök på specialistmottagningen för utredning.",
            "Samordnat vårdplaneringsmöte med kommunen.",
            "Videobesök för att följa upp den nya behandlingen.",
            "Spirometri och bedömning av inhalationsbehandlingen.");

    static final List<String> FOLLOW_UPS = List.of(
            "Uppföljning av patientkontraktet tillsammans med patienten.",
            "Uppföljning av kontraktet med patienten och närstående.",
            "Gemensam uppföljning av mål och nästa steg.");

    /** A number in 070-174 06 05 … 99, the mobile range PTS reserves for fiction. */
    static String fictionMobile(int n) {
        return String.format("070-174 06 %02d", 5 + Math.floorMod(n, 95));
    }

    /** A number in 08-465 004 00 … 99, the Stockholm range PTS reserves for fiction. */
    static String fictionLandline(int n) {
        return String.format("08-465 004 %02d", Math.floorMod(n, 100));
    }
}
