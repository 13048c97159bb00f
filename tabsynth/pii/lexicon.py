"""Column-name hints: which entity a header names, in many languages.

Headers are matched lower-cased with separators as ``_`` and accents set aside (``Date of
Birth`` -> ``date_of_birth``, ``ημερομηνία_γέννησης`` -> ``ημερομηνια_γεννησης``,
``příjmení`` -> ``prijmeni``), so one spelling serves both. The
languages: English, German, French, Spanish, Italian and Dutch (the issue's), then Portuguese,
Catalan, the Scandinavian languages and Finnish, Polish, Czech, Slovak, Hungarian, Romanian,
Croatian, Serbian and Slovene, the Baltic languages, Greek, Russian, Ukrainian, Bulgarian,
Turkish, Indonesian, and the commonest Chinese and Japanese headers. A header is a hint, not
a verdict: the values must show the entity too (``scan._classify``), and a bare "name" or a
role ("patient", "hasta") needs names people have (``names.WEAK_PERSON``).
"""

from __future__ import annotations

import re

from tabsynth.pii.names import CLINICIAN_ROLE, PERSON_ROLE, strip_accents
from tabsynth.pii.national import ID_HINTS

# the extra languages' words for each concept, without accents (see the module docstring)
_PHONE_WORDS = (
    r"telemovel|celular|telefonszam|telefonas|talrunis|puhelin|puhelinnumero|matkapuhelin|"
    r"mobilnummer|mobiltelefon|komorka|tel_kom|gsm_nr|cep_telefonu|no_hp|telepon|"
    r"τηλεφωνο|κινητο|τηλ|телефон|тел|мобильный|мобильный_телефон|мобилен|мобільний|"
    r"电话|手机|电话号码|電話|電話番号|携帯|携帯電話"
)
_EMAIL_WORDS = (
    r"epost|e_postadresse|sahkoposti|e_posta|eposta|email_adresi|posta_elettronica|"
    r"adres_e_mail|adres_email|e_mail_adresa|emailova_adresa|elektronikus_level|"
    r"ηλ_ταχυδρομειο|ηλεκτρονικο_ταχυδρομειο|почта|эл_почта|электронная_почта|"
    r"електронна_пошта|ел_поща|邮箱|电子邮件|メール|メールアドレス"
)
_DOB_WORDS = (
    r"data_de_nascimento|data_naixement|naixement|data_urodzenia|datum_narozeni|narozeni|"
    r"datum_narodenia|narodenia|szuletesi_datum|szuletesi_ido|szuletes|data_nasterii|"
    r"nasterii|datum_rodenja|rodenja|datum_rojstva|rojstva|"
    r"sunniaeg|sunnikuupaev|dzimsanas_datums|dzimsanas|gimimo_data|gimimo|syntymaaika|"
    r"syntymapaiva|fodselsdato|fodselsdag|fodd|fodt|dogum_tarihi|dogum|tanggal_lahir|"
    r"tgl_lahir|lahir|ημερομηνια_γεννησης|γεννηση|γεννησης|ημ_γεννησης|дата_рождения|"
    r"рождения|дата_народження|народження|дата_на_раждане|раждане|出生日期|生日|生年月日|誕生日|"
    # "born on" as forms print it: "Né(e) le", "geboren am", "nato il", "nacido el"
    r"ne_e_le|nee_le|ne_le|born_on|geboren_am|geboren_op|nato_a_il|nato_il|nata_il|"
    r"nacido_a_el|nacido_el|nacida_el|nascido_em"
)
_ADDRESS_WORDS = (
    r"calle|avenida|carrera|camino|paseo|rue|chemin|weg|gasse|laan|"
    r"rua|adreca|carrer|adresse|gatuadress|gate|gade|gateadresse|osoite|katuosoite|"
    r"adres|ulica|adresa|ulice|cim|lakcim|utca|strada|naslov|aadress|adrese|iela|adresas|"
    r"gatve|sokak|cadde|alamat|jalan|διευθυνση|οδος|адрес|улица|адреса|вулиця|地址|住所"
)
# clear name headers (a first, family or full name): name-shaped values suffice
_NAME_WORDS = (
    r"zuname|familienaam|nom_de_naissance|nom_d_usage|nom_usuel|apellido_paterno|"
    r"apellido_materno|primer_apellido|segundo_apellido|"
    r"nome_completo|apelido|cognom|cognoms|fornavn|efternavn|etternavn|etunimi|sukunimi|"
    r"imie|nazwisko|jmeno_a_prijmeni|prijmeni|krestni_jmeno|priezvisko|krstne_meno|"
    r"vezeteknev|keresztnev|teljes_nev|prenume|nume_complet|prezime|priimek|eesnimi|"
    r"perekonnanimi|vards|uzvards|vardas|pavarde|soyad|soyadi|ad_soyad|adi_soyadi|"
    r"nama_lengkap|nama_depan|nama_belakang|επωνυμο|ονοματεπωνυμο|μικρο_ονομα|"
    r"имя|фамилия|отчество|фио|ім_я|прізвище|по_батькові|піб|презиме|"
    r"姓名|名字|姓|名|氏名|名前|フリガナ"
)
_HINTS: tuple[tuple[str, str], ...] = (
    *ID_HINTS,
    (r"(^|_)(ssn|social_security(_number)?|sin)($|_)", "US_SSN"),
    (
        rf"(^|_)(e_?mail|correo|courriel|e_?post|{_EMAIL_WORDS})(_address)?($|_)",
        "EMAIL_ADDRESS",
    ),
    (
        r"(^|_)(phone|mobile|cell|tel|telephone|fax|telefon|telefono|teléfono|telefoon|"
        r"téléphone|telefone|handy|mobil|portable|movil|móvil|cellulare|gsm|mobiel|"
        r"tfno|tlf|tlfn|"
        rf"{_PHONE_WORDS})(_number|_no|_nr|nummer|_nummer|_numero)?($|_)",
        "PHONE_NUMBER",
    ),
    # "Contact #", "contact_no": a number to call; never "contact_ref", "contact_person"
    (r"(^|_)contact(_?(no|nr|num|number|nummer|numero))?_?$", "PHONE_NUMBER"),
    (
        r"(^|_)(dob|birth_?date|date_of_birth|birthday|birth|born|geburts\w*|geburtstag|geb|"
        r"geb_?dat(um)?|date_naiss(ance)?|f_?nac(imiento)?|fecha_nac|data_nasc|geb_?datum|"
        r"date_de_naissance|naissance|date_naissance|fecha_de_nacimiento|nacimiento|"
        r"data_di_nascita|nascita|geboortedatum|geboorte\w*|nascimento|urodzenia|"
        r"f(ö|o)delse\w*|f(ø|o)dsels?\w*|född|født|(dt|d|data|date|fecha|f)_?(naiss|nasc|nac)\w*|"
        rf"{_DOB_WORDS})($|_)",
        "DATE_OF_BIRTH",
    ),
    (
        r"(^|_)(mrn|medical_record(_number)?|patient_number|chart_number)($|_)",
        "MEDICAL_RECORD_NUMBER",
    ),
    (r"(^|_)(npi|provider_npi)($|_)", "US_NPI"),
    (r"(^|_)iban($|_)", "IBAN_CODE"),
    (r"(^|_)(routing|aba)(_number|_no)?($|_)", "ABA_ROUTING_NUMBER"),
    (r"(^|_)(account|acct|bank_account)(_number|_no|_num)($|_)", "US_BANK_NUMBER"),
    (r"(^|_)(credit_?card|card_number|cc_?num(ber)?|pan)($|_)", "CREDIT_CARD"),
    (r"(^|_)(ip|ip_address|ipv4|ipv6)($|_)", "IP_ADDRESS"),
    (r"(^|_)(url|website|homepage|web)($|_)", "URL"),
    (r"(^|_)(zip\d?|zip_?code|zipcode|zip_5)($|_)", "US_ZIP"),
    (
        r"(^|_)(address|street|street_address|addr|address_line_?\d?|adresse|anschrift|"
        r"stra(ss|ß)e|direcci(o|ó)n|domicilio|indirizzo|adres|straat|woonadres|endere(ç|c)o|"
        rf"morada|adress|via|civico|numero_civico|{_ADDRESS_WORDS})($|_)",
        "STREET_ADDRESS",
    ),
    (
        r"(^|_)(name|first_?name|last_?name|full_?name|surname|given_?name|patient_?name|"
        r"customer_?name|fname|lname|middle_?name|given|family_?name|forename|vorname|"
        r"nachname|familienname|rufname|nom|prenom|prénom|nom_de_famille|nombre|apellidos?|"
        r"cognome|nome|voornaam|achternaam|naam|tussenvoegsel|roepnaam|geslachtsnaam|"
        r"sobrenome|imi(ę|e)|nazwisko|namn|f(ö|o)rnamn|efternamn|navn|fornavn|efternavn|"
        rf"mellemnavn|{_NAME_WORDS}|"
        r"(first|last|given|family|sur|middle|full|fore|pat|patient|cust)_?nme?)(\d*)($|_)",
        "PERSON",
    ),
    # a person's role as the whole header ("Player", "contestant"), never "patient_id"
    (PERSON_ROLE, "PERSON"),
    (CLINICIAN_ROLE, "PERSON"),
)
# the patterns as the keys they meet: accents set aside ("(ö|o)" reads "(o|o)")
NAME_HINTS = tuple((strip_accents(p), e) for p, e in _HINTS)


# a header that names a code, a version or a reference: its digits are that, not a phone
# number or an IP address ("ndc_code", "app_version", "order_ref"); an entity with a checksum
# or a distinctive shape is still found under it
CODE_HEADER = (
    r"(^|_)(code|codes|cd|codigo|codice|serial|sku|lot|batch|version|ver|build|release|"
    r"firmware|ndc|loinc|icd\d*|cpt|snomed|atc|gtin|ean|upc|isbn|order|invoice|ref|reference|"
    r"ticket|claim|policy|kennung|nummer_code)($|_)"
)


def hint_for(key: str, not_person: str) -> str | None:
    """The entity a header key (accents set aside) names, skipping PERSON when
    ``not_person`` matches ("animal_name"); a numbered header (``phone1``, ``email_2``) as
    its unnumbered self."""
    unnumbered = re.sub(r"_?\d+_?$", "", key)
    for form in (key, unnumbered) if unnumbered and unnumbered != key else (key,):
        for pattern, entity in NAME_HINTS:
            if entity == "PERSON" and re.search(not_person, form):
                continue
            if re.search(pattern, form):
                return entity
    return None
