"""Pilotage tables of the seeds, laid out as in the documents.

* Loire-Atlantique, Bilan annuel 2022 (seed 003), « Plan d'amélioration — taux de réalisation »:
  completion per module. Its printed « Total » row says 15 « En cours » and 25 « Non fait » where
  the modules add up to 18 and 22.
* Tarn-et-Garonne, follow-up audit of 05/07/2022 (seed 000): module 1, module 4, pilotage and
  labellisation, each engagement with its comments cell (PF / PS / PP remarks, then the auditor's
  note) and its conformity, cells written as the report's table holds them (paragraph marks kept).
"""

from __future__ import annotations

ACTION_PLAN_COMPLETION_2022 = [
    ["Plan d'amélioration 2022 — taux de réalisation"],
    [],
    ["", "Fait", "En cours", "Non fait", "Taux de réalisation"],
    ["Module 1 (relation générale à l'utilisateur)", 65, 14, 14, "70 %"],
    ["Module 2 (échange de permis étranger)", 4, 0, 0, "100%"],
    ["Module 4 (relation avec les collectivités)", 1, 0, 3, "25 %"],
    ["Pilotage", 25, 4, 5, "74 %"],
    ["Total", 95, 15, 25, "70 %"],
]

AUDIT_HEADER = ["Engagements de service", "Commentaires", "Conformité"]

TG_AUDIT_MODULE_1 = [
    ["MODULE 1 - OBLIGATOIRE : RELATION GENERALE AVEC LES USAGERS", "", ""],
    ["Module 1 1. Nous vous informons sur les conditions de fonctionnement de nos services",
     "<i>Note : Les affichages sont à jour, la charte graphique est respectée et les informations sur le site sont à "
     "jour. Il existe une liste des affichages à contrôler trimestriellement (dernier contrôle < 3 mois).</i>", "C"],
    ["Module 1 2. Un accueil attentif et courtois dans le respect mutuel quel que soit le canal",
     "<i>Note : Le guide de l'accueil et le registre d'accessibilité sont disponibles à l'accueil général.</i>", "C"],
    ["Module 1 3. A votre écoute pour progresser",
     "<p>PP : Etudier la possibilité de revoir les questions et le support d'enquêtes (il y a trop de questions et "
     "toutes ne permettent pas d'analyse pertinente de la satisfaction et de la qualité de service rendu à "
     "l'utilisateur).</p> <p>PP : Mettre à jour le bilan des réclamations sur le site internet.</p> <p>PP : Intégrer "
     "le traitement des réclamations, suggestions et retours positifs identifiées sur les avis en ligne (avis Google "
     "notamment).</p> <p><i>Note : L'enquête de satisfaction 2021 a été réalisée sur tablette en accueil du 09 au 30 "
     "juin 2021. Elle comporte 47 questions.</i></p>", "C"],
    ["Module 1 4. Nous formons nos agents pour améliorer notre qualité de service", "<i>Note : Cf. Pilotage.</i>", "C"],
    ["ACCUEIL PHYSIQUE", "", ""],
    ["Module 1 5. Nous vous orientons vers le bon service et vous prenons en charge",
     "<p>PP : S'assurer que la boucle magnétique est contrôlée régulièrement.</p> <p><i>Note : Il y a 1 accueil "
     "général dont le comptoir est scindé en deux parties pour accueillir le PAN.</i></p>", "C"],
    ["Module 1 6. Nous veillons au confort de nos espaces d'accueil et d'attente",
     "PF : Espace d'attente dédié aux enfants. <i>Note : L'espace d'attente est propre et climatisé.</i>", "C"],
    ["Module 1 7. Nous veillons à limiter votre attente en adaptant notre organisation",
     "<i>Note : L'accueil des usagers étrangers se fait uniquement sur RDV.</i>", "C"],
    ["TELEPHONE", "", ""],
    ["Module 1 8. Un Serveur Vocal Interactif local, s'il a été mis en place, vous informe de manière simple et vous "
     "met en relation avec un agent",
     "PF : Ossature du SVI construite en collaboration avec les agents du standard. <i>Note : La Préfecture du Tarn et "
     "Garonne ne disposait pas de SVI le jour de l'audit (mise en place prévue le 06/07/2022).</i>", "NA"],
    ["Module 1 9. Nous vous informons de la mise à disposition d'un serveur vocal interactif national « 34 00 » dédié "
     "aux démarches sur les titres (hors étrangers)", "", "C"],
    ["Module 1 10. Nous répondons à tous vos appels de manière attentive et efficace en limitant au maximum votre "
     "temps d'attente", "PF : Tableau d'informations mutualisé avec les services et le standard.", "C"],
    ["SITE INTERNET", "", ""],
    ["Module 1 11. Nous facilitons votre navigation et l'accès aux informations actualisées sur notre site internet",
     "PP : Péréniser la tenue de groupe de lecture par service pour la mise à jour régulière des contenus par "
     "service.", "C"],
    ["Module 1 12. Nous vous délivrons une information administrative numérique fiable.",
     "PF : Fiche de procédure au format \"tuto\" à disposition des contributeurs du site. <i>Note : Il y a une liste "
     "des référents co-marquage et une liste des contributeurs.</i>", "C"],
    ["Module 1 13. Nous facilitons vos démarches en ligne grâce à une offre de service numérique", "", "C"],
    ["Module 1 14. Plus particulièrement, nous facilitons vos démarches en ligne sur les demandes de titres", "", "C"],
    ["Module 1 15. Si vous n'avez pas accès à internet pour réaliser vos démarches, nous mettons à votre disposition "
     "dans nos locaux un point numérique sécurisé",
     "<p>PF : Projet d'animation commune du PAN ANTS et du futur PAN Emeraude et pour l'accompagnement sur les sujets "
     "armes.</p> <p>PF : Prise en charge des usagers sans RDV dans la mesure du possible.</p> <p><i>Note : Il y a un "
     "Guide des démarches numériques commun ANTS / ANEF.</i></p>", "C"],
    ["COURRIERS ET COURRIELS", "", ""],
    ["Module 1 16. Nos courriers et courriels sont compréhensibles et complets",
     "<p>PP : S'assurer que la Procédure n°1 est appliquée et que les informations de modifications soient transmises "
     "à l'ensemble des services visés, notamment au Bureau du Courrier pour adapter ses réponses.</p> <p>PP : "
     "S'assurer que le fichier de réponses types du bureau du courrier soit modifié en conséquence.</p> <p>PP : "
     "Partager le fichier mutualisé Standard/Services avec le Bureau du courrier.</p> <p><i>Note : Les courriers et "
     "courriels sont réceptionnés par le Bureau du courrier.</i></p>", "C"],
    ["Module 1 17. Nous vous répondons dans un délai annoncé et maîtrisé", "", "C"],
    ["Module 1 18. Nous assurons la traçabilité de vos courriers/courriels de demande d'informations pour réduire nos "
     "délais", "", "C"],
    ["RESEAU SOCIAUX", "", ""],
    ["Module 1 19. Nous communiquons de manière active sur au moins un réseau social (Facebook et/ou Twitter)",
     "<p>PP : Etudier la possibilité de mettre en place un plan de communication dédié aux réseaux sociaux en "
     "s'appuyant sur le support d'un titulaire et/ou d'un vacataire et/ou d'un apprenti.</p> <p><i>Note :</i></p> "
     "<p><i>FB : 8 000 abonnés</i></p> <p><i>Twitter : 5 800 abonnés</i></p>", "C"],
    ["Module 1 20. Nous vous garantissons la fiabilité des informations que nous diffusons sur les réseaux sociaux",
     "<p>PS : L'animation des réseaux sociaux se fait avec les outils personnels, notamment sur Instagram. Il y a un "
     "risque de confusion important entre les réseaux sociaux de la Préfecture et les comptes personnels.</p>", "C"],
]

TG_AUDIT_MODULE_4_AND_PILOTAGE = [
    ["MODULE 4 - RELATIONS AVEC LES COLLECTIVITES TERRITORIALES", "", ""],
    ["Module 4 34. Des observations motivées pour le contrôle de légalité",
     "PF : Synthèse annuelle transmise par mail complétée par des informations ponctuelles et circulaires (env. 20 "
     "circulaires).", "C"],
    ["Module 4 35. Une démarche préalable systématique d'information des élus en matière de contrôle budgétaire",
     "<i>Note : Les informations préalables sont systématiquement transmises par mail.</i>", "C"],
    ["Module 4 36. Nous vous répondons dans un délai annoncé et maîtrisé",
     "PF : Taux de réponse sous 5 jours très satisfaisant (≥90%). <i>Note : Il n'y a pas de courrier de demande "
     "d'information générale.</i>", "C"],
    ["Module 4 37. Un RDV est proposé pour tout élu ou cadre territorial qui en fait la demande",
     "<i>Note : Les RDV des autorités sont gérés par le secrétariat de la Secrétaire Générale.</i>", "NA"],
    ["PILOTAGE DE LA POLITIQUE QUALITE", "", ""],
    ["1. Responsabilités", "<i>Note : La lettre de mission du référent Qualité a été visée.</i>", "C"],
    ["2. Organisation documentaire", "<i>Note : La documentation est accessible sur le serveur.</i>", "C"],
    ["3. Formation du personnel",
     "<p>PF : Le tableau de suivi des formations intègre les contractuels comme les agents titulaires réalisant de "
     "l'accueil du public.</p> <p>PP : Planifier dans les meilleurs délais la formation pour l'accueil des usagers en "
     "situation de handicap PP : S'assurer d'intégrer, dans la mesure du possible, les VSC du PAN aux formations "
     "d'accueil du public. PP : Relancer les visites d'intégration des nouveaux agents dans les services. PP : "
     "Formaliser le tutorat des nouveaux agents du Bureau du contrôle de légalité, en utilisant le support "
     "prévu.</p> <p><i>Note : Le tableau de suivi des formations a été refondu en 2022.</i></p>", "C"],
    ["4. Implication des collaborateurs",
     "<p>PP : Relancer les notes d'information Qualiflash. PP : Etudier la possibilité d'intégrer un suivi des "
     "indicateurs Qual-e-Pref aux réunions trimestrielles de suivi des indicateurs INDIGO.</p> <p><i>Note : Un comité "
     "de pilotage trimestriel est organisé.</i></p>", "C"],
    ["5. Comité des usagers",
     "<p>PP : S'assurer qu'au moins un représentant des services du SGCD participe au CLU notamment pour l'accueil "
     "général et le standard.</p> <p><i>Note : Le dernier CLU a eu lieu en mai 2022.</i></p>", "C"],
    ["DEMARCHE DE LABELLISATION", "", ""],
    ["1. Bilans annuels",
     "<p>PF : Format des CR de COPILs et du bilan annuel. PP : Proposer une analyse des indicateurs d'année en année "
     "pour les prochains bilans.</p>", "C"],
    ["2. Audits internes ou auto-évaluations", "<p><i>Note : De nombreux COPIL ont été organisés.</i></p>", "C"],
]

# The remote part of the report assesses engagements 1 and 8 again (same audit, same finding).
TG_AUDIT_REMOTE = [
    ["AUDIT A DISTANCE : Internet", "", ""],
    ["Module 1 1. Nous vous informons sur les conditions de fonctionnement de nos services",
     "PP : S'assurer que les informations sur la page Google de la Préfecture sont à jour. <i>Note : La préfecture "
     "est référencée sur Google et Google Maps.</i>", "C"],
    ["AUDIT A DISTANCE : Téléphone (standard, SVI, SART)", "", ""],
    ["Module 1 8. Un Serveur Vocal Interactif local, s'il a été mis en place, vous informe de manière simple et vous "
     "met en relation avec un agent", "", "C"],
]

TG_AUDIT_TITLE = [
    ["RAPPORT D'AUDIT — PREFECTURE DU TARN ET GARONNE"],
    ["Type d'audit", "Suivi"],
    ["Date de l'audit", "05/07/2022"],
    ["Auditeur", "Aurélie ROUMEGOUX"],
    [],
]


def audit_sheet(*parts: list[list[object]], title: bool = True) -> list[list[object]]:
    return [*(TG_AUDIT_TITLE if title else []), AUDIT_HEADER, *(row for part in parts for row in part)]
