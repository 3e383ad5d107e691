/** Renders the EnrichWizard's prompts as QuickPick / InputBox steps with a Back button. */
import * as vscode from 'vscode';
import { isAbsolute } from 'node:path';
import { EnrichWizard, WizardInputError, type Prompt } from './enrichWizard';

type Outcome = { kind: 'value'; value: string | string[] } | { kind: 'back' } | { kind: 'cancel' };

/** Runs the wizard to the end; false when the user dismissed it. */
export async function runWizard(wizard: EnrichWizard): Promise<boolean> {
  // After an invalid typed answer the same input box comes back with the text and the reason.
  let retry: { value: string; error: string } | undefined;
  while (!wizard.done) {
    const prompt = await wizard.prompt();
    const outcome = prompt.type === 'pick' ? await showPick(prompt, wizard.canGoBack) : await showInput(prompt, wizard.canGoBack, retry);
    retry = undefined;
    if (outcome.kind === 'cancel') return false;
    if (outcome.kind === 'back') {
      wizard.back();
      continue;
    }
    try {
      wizard.answer(outcome.value);
    } catch (err) {
      if (!(err instanceof WizardInputError)) throw err;
      if (prompt.type === 'input') retry = { value: String(outcome.value), error: err.message };
      else void vscode.window.showWarningMessage(err.message);
    }
  }
  return true;
}

interface Item extends vscode.QuickPickItem {
  id: string;
}

function showPick(p: Extract<Prompt, { type: 'pick' }>, canGoBack: boolean): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = p.title;
    qp.placeholder = p.notes.length ? `${p.placeholder} — ${p.notes.join(' ')}` : p.placeholder;
    qp.canSelectMany = p.many;
    qp.ignoreFocusOut = true;
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.buttons = canGoBack ? [vscode.QuickInputButtons.Back] : [];
    const items: Item[] = p.items.map((i) => ({
      id: i.id,
      label: i.disabled ? `$(circle-slash) ${i.label}` : i.label,
      description: i.description,
      detail: i.detail,
      picked: i.picked,
    }));
    qp.items = items;
    if (p.many) {
      qp.selectedItems = items.filter((i) => i.picked);
      // Items shown as disabled (failures, unreadable destinations) cannot stay checked.
      const disabled = new Set(p.items.filter((i) => i.disabled).map((i) => i.id));
      if (disabled.size) {
        qp.onDidChangeSelection((sel) => {
          if (sel.some((i) => disabled.has(i.id))) qp.selectedItems = sel.filter((i) => !disabled.has(i.id));
        });
      }
    }
    else if (p.activeId) qp.activeItems = items.filter((i) => i.id === p.activeId);
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      resolve(o);
      qp.dispose();
    };
    qp.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish({ kind: 'back' });
    });
    qp.onDidAccept(() => {
      const chosen = p.many ? qp.selectedItems : qp.activeItems;
      if (!p.many && chosen.length === 0) return;
      finish({ kind: 'value', value: p.many ? chosen.map((i) => i.id) : chosen[0].id });
    });
    qp.onDidHide(() => finish({ kind: 'cancel' }));
    qp.show();
  });
}

function showInput(p: Extract<Prompt, { type: 'input' }>, canGoBack: boolean, retry?: { value: string; error: string }): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = p.title;
    box.prompt = p.prompt;
    box.value = retry?.value ?? p.value;
    box.validationMessage = retry?.error;
    box.placeholder = p.placeholder;
    box.password = p.password ?? false;
    box.ignoreFocusOut = true;
    const browse: vscode.QuickInputButton | undefined = p.browse ? { iconPath: new vscode.ThemeIcon('folder-opened'), tooltip: 'Browse for the folder…' } : undefined;
    box.buttons = [...(canGoBack ? [vscode.QuickInputButtons.Back] : []), ...(browse ? [browse] : [])];
    let done = false;
    // the open dialog hides the box while it is shown: that is not a cancel
    let browsing = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      resolve(o);
      box.dispose();
    };
    box.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish({ kind: 'back' });
      else if (b === browse) {
        browsing = true;
        const typed = box.value.trim();
        const start = typed && isAbsolute(typed) ? typed : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        void vscode.window
          .showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use this folder', title: p.title, ...(start ? { defaultUri: vscode.Uri.file(start) } : {}) })
          .then((chosen) => {
            browsing = false;
            if (chosen?.[0]) finish({ kind: 'value', value: chosen[0].fsPath });
            else box.show();
          });
      }
    });
    box.onDidChangeValue(() => {
      box.validationMessage = undefined;
    });
    box.onDidAccept(() => {
      finish({ kind: 'value', value: box.value });
    });
    box.onDidHide(() => {
      if (!browsing) finish({ kind: 'cancel' });
    });
    box.show();
  });
}
