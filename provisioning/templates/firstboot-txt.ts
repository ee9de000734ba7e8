// The first-boot file on the FAT boot partition, commented in French and English for whoever edits it.
import type { Config } from '../config.js';

export function renderFirstbootTxt(config: Config): string {
  const passphrase = config.wifi.passphrase ?? '';
  return `# Home Container Drive — configuration du premier démarrage / first-boot configuration
#
# FR : Modifiez ce fichier depuis n'importe quel ordinateur AVANT le premier démarrage.
#      Format : une ligne « clé=valeur » ; les lignes commençant par # sont des commentaires.
#      Il est lu une seule fois, au premier démarrage. Le mot de passe administrateur est
#      ensuite effacé de ce fichier. Une valeur invalide est ignorée (la valeur par défaut
#      reste en place) et l'erreur s'affiche dans l'interface d'administration.
# EN : Edit this file from any computer BEFORE the first boot.
#      Format: one "key=value" line; lines starting with # are comments.
#      It is read once, at first boot. The admin password is then erased from this file.
#      An invalid value is ignored (the default stays in place) and the error is shown in
#      the admin interface.

# FR : Nom du réseau Wi-Fi (1 à 32 octets).
# EN : Wi-Fi network name (1 to 32 bytes).
wifi_ssid=${config.wifi.ssid}

# FR : Mot de passe Wi-Fi (WPA2, 8 à 63 caractères ASCII). Vide = réseau ouvert.
# EN : Wi-Fi password (WPA2, 8 to 63 ASCII characters). Empty = open network.
wifi_passphrase=${passphrase}

# FR : Code pays à deux lettres (FR, BE, CH, CA, US…). Obligatoire : la radio reste
#      éteinte sans pays.
# EN : Two-letter country code (FR, BE, CH, CA, US…). Required: the radio stays off
#      without a country.
wifi_country=${config.wifi.country}

# FR : Compte administrateur créé au premier démarrage. Sans mot de passe, aucun compte
#      n'est créé (utilisez alors la commande « create-admin »). 8 caractères minimum.
# EN : Admin account created at first boot. Without a password no account is created
#      (then use the "create-admin" command). At least 8 characters.
admin_username=admin
admin_password=

# FR : Nom de l'appareil sur le réseau : http://<nom>.local (minuscules, chiffres, tirets).
# EN : Device name on the network: http://<name>.local (lowercase, digits, hyphens).
hostname=${config.hostname}

# FR : Fuseau horaire, par exemple Europe/Paris.
# EN : Time zone, for example Europe/Paris.
timezone=${config.timezone}
`;
}
