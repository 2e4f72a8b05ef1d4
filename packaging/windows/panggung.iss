; Inno Setup script for Panggung's Windows installer.
; packaging/build.py runs it after PyInstaller when Inno Setup 6's iscc is on PATH:
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=dist\panggung /DIconFile=resources\icons\panggung.ico /Odist packaging\windows\panggung.iss
;
; It installs the one-folder build, adds a Start-menu entry (and optionally a
; desktop icon), and registers panggung:// invite links to open in the app.
; Per-user by default (no administrator rights); an administrator may choose
; an install for all users.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\panggung"
#endif
#ifndef IconFile
  #define IconFile "..\..\resources\icons\panggung.ico"
#endif

[Setup]
AppId={{5E0C2B61-6A43-4E0F-9C5B-4E7A2F1D9C31}
AppName=Panggung
AppVersion={#AppVersion}
AppVerName=Panggung {#AppVersion}
AppPublisher=The Panggung authors
DefaultDirName={autopf}\Panggung
DefaultGroupName=Panggung
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=panggung-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\panggung.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Panggung"; Filename: "{app}\panggung.exe"; Comment: "Live audio rooms"
Name: "{autodesktop}\Panggung"; Filename: "{app}\panggung.exe"; Tasks: desktopicon

[Registry]
; panggung://HOST:PORT/room/ROOM_ID?invite=CODE opens in the app (packaging/entry.py).
Root: HKA; Subkey: "Software\Classes\panggung"; ValueType: string; ValueName: ""; ValueData: "URL:Panggung invite link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\panggung"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\panggung\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\panggung.exe"",0"
Root: HKA; Subkey: "Software\Classes\panggung\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\panggung.exe"" ""%1"""

[Run]
Filename: "{app}\panggung.exe"; Description: "{cm:LaunchProgram,Panggung}"; Flags: nowait postinstall skipifsilent
