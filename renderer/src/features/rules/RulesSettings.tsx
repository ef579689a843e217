/**
 * Settings → Filters (issue 16 §1): the ordered list of filters and an editor for one, with a
 * live preview of the stored messages it would act on before it is saved. The list's own
 * buttons (on/off, up/down, duplicate, delete) save at once, as reordering accounts does; the
 * editor's changes wait for Save. Main keeps the list (rules.json) and checks it again.
 */
import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useMemo, useState } from 'react';
import { scopeWords, type Rule } from '../../../../shared/rules.js';
import { call } from '../../api/client.js';
import { ConfirmDialog, failureText } from '../../app/ConfirmDialog.js';
import { useServices } from '../../app/context.js';
import { inAccountOrder } from '../../db/database.js';
import { plainError } from '../accounts/plain-error.js';
import { flatten, folderTree } from '../folders/tree.js';
import { blankForm, checkForm, copyName, folderText, formOf, placeOfError, previewable, type FormProblems, type RuleForm } from './form.js';
import { RuleEditor } from './RuleEditor.js';
import { RulePreview } from './RulePreview.js';
import { SCOPE_WORDS, type Scope } from './scope.js';
import { RunNow } from './RunNow.js';
import { ruleWords } from './summary.js';
import './rules.css';

interface Editing {
  /** Its place in the saved list; null for a filter not saved yet. */
  index: number | null;
  form: RuleForm;
  dirty: boolean;
  /** Save was pressed: every problem shows, also in rows not typed in yet. */
  attempted: boolean;
  /** What main said about this filter on the last save, until the form changes. */
  fromMain: { part: 'name' | 'condition' | 'action' | null; row: number | null; text: string } | null;
}

type Choice = { index: number | null; form: RuleForm };

/** Problems of rows not typed in yet wait for a Save; main's word is shown where it belongs. */
function shownProblems(e: Editing, p: FormProblems): FormProblems {
  const show = (typed: boolean, text: string | null) => (e.attempted || typed ? text : null);
  const out: FormProblems = {
    name: show(e.form.name !== '', p.name),
    conditions: p.conditions.map((t, i) => {
      const r = e.form.conditions[i]!;
      return show(r.value !== '' || r.header !== '' || r.field === 'attachment', t);
    }),
    actions: p.actions.map((t, i) => show(e.form.actions[i]!.folder !== '' || (e.form.actions[i]!.to ?? '') !== '' || e.form.actions[i]!.t === 'stop', t)),
  };
  const m = e.fromMain;
  if (m?.part === 'condition' && m.row !== null) out.conditions[m.row] ??= m.text;
  else if (m?.part === 'action' && m.row !== null) out.actions[m.row] ??= m.text;
  else if (m) out.name ??= m.text;
  return out;
}

/**
 * `account`: the account whose settings were open last (the Filters page is reached from them),
 * null when none was chosen (Settings then shows the first account); with several accounts a new
 * filter starts scoped to the account shown, as Thunderbird keeps filters per account
 * (walkthrough m6: a filter made in Alice's settings moved 121 of Bob's messages).
 */
export function RulesSettings({ account }: { account: string | null }) {
  const { api, db } = useServices();
  const accounts = useLiveQuery(() => db.accounts.toArray().then(inAccountOrder), [db]);
  const trees = useLiveQuery(() => db.folders.toArray(), [db]);
  const [saved, setSaved] = useState<Rule[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [deleting, setDeleting] = useState<number | null>(null);
  /** Leaving unsaved changes (for another filter, or closing the editor) asks first. */
  const [switching, setSwitching] = useState<Choice | 'close' | null>(null);
  const [scope, setScope] = useState<Scope>('inbox');
  /** Counts Run now's runs: the preview asks again after one (what is left to match). */
  const [runs, setRuns] = useState(0);

  useEffect(() => {
    call(api, 'listRules', {}).then(setSaved, (e: unknown) => setLoadError(plainError(e)));
  }, [api]);

  const folders = useMemo(() => {
    const seen = new Set<string>();
    for (const t of trees ?? []) for (const { node } of flatten(folderTree(t.folders))) if (node.role !== 'outbox') seen.add(folderText(node.path));
    return [...seen];
  }, [trees]);
  const serverDeletes = (accounts ?? []).some((a) => a.leaveOnServer);
  const accountName = (id: string) => ((accounts?.length ?? 0) > 1 ? (accounts?.find((a) => a.id === id)?.name ?? null) : null);
  const nameOf = (id: string) => accounts?.find((a) => a.id === id)?.name;
  /**
   * A new filter's accounts: with several, the one whose settings were shown (the first when none
   * was chosen); every account with only one (so one added later is not left out silently). The
   * one place this is decided: Settings passes the account chosen as it is.
   */
  const newFilterScope = () => {
    if (!accounts || accounts.length < 2) return null;
    return account !== null && nameOf(account) !== undefined ? account : accounts[0]!.id;
  };

  const otherNames = (saved ?? []).filter((_, i) => i !== editing?.index).map((r) => r.name);
  const checked = editing ? checkForm(editing.form, otherNames) : null;

  const open = (c: Choice) => {
    setEditing({ ...c, dirty: false, attempted: false, fromMain: null });
    setMessage(null);
  };
  const choose = (c: Choice) => (editing?.dirty ? setSwitching(c) : open(c));

  /**
   * Every write replaces the whole list: one changed meanwhile elsewhere (`popbox rules add`
   * while this screen is open) is not overwritten but shown, and the person does it again.
   */
  const writeList = async (list: Rule[]): Promise<Rule[]> => {
    const now = await call(api, 'listRules', {});
    if (JSON.stringify(now) !== JSON.stringify(saved)) {
      setSaved(now);
      // The filter being edited is found again by its saved name (gone: it would be saved as new).
      setEditing((e) => {
        if (!e || e.index === null) return e;
        const at = now.findIndex((r) => r.name === saved?.[e.index!]?.name);
        return e.dirty ? { ...e, index: at === -1 ? null : at } : at === -1 ? null : { ...e, index: at, form: formOf(now[at]!) };
      });
      throw new Error('The filters were changed elsewhere (popbox rules) while this screen was open: the list now shows them. Nothing was saved; make your change again.');
    }
    return call(api, 'saveRules', { rules: list });
  };

  /** The list's buttons: the new list saved at once; the filter being edited keeps its place. */
  const persist = async (list: Rule[], place: (i: number | null) => number | null, done: string): Promise<boolean> => {
    try {
      const next = await writeList(list);
      setSaved(next);
      setEditing((e) => (e && e.index !== null ? (place(e.index) === null ? null : { ...e, index: place(e.index) }) : e));
      setMessage({ text: done, error: false });
      return true;
    } catch (e) {
      setMessage({ text: placeOfError(failureText(e)).text, error: true });
      return false;
    }
  };
  const moveRule = (i: number, by: -1 | 1) => {
    const list = [...saved!];
    const [r] = list.splice(i, 1);
    list.splice(i + by, 0, r!);
    void persist(list, (k) => (k === i ? i + by : k === i + by ? i : k), `“${r!.name}” moved ${by < 0 ? 'up' : 'down'}.`);
  };
  const toggle = (i: number) => {
    const r = saved![i]!;
    void persist(
      saved!.map((x, k) => (k === i ? { ...x, enabled: !x.enabled } : x)),
      (k) => k,
      `“${r.name}” is ${r.enabled ? 'off' : 'on'}.`,
    );
  };
  const duplicate = (i: number) => {
    const r = saved![i]!;
    const copy = { ...r, name: copyName(r.name, saved!.map((x) => x.name)) };
    const list = [...saved!.slice(0, i + 1), copy, ...saved!.slice(i + 1)];
    const made = `Made “${copy.name}”.`;
    // The copy opens for editing (unless the filter being edited has unsaved changes).
    void persist(list, (k) => (k !== null && k > i ? k + 1 : k), made).then((ok) => {
      if (!ok || editing?.dirty) return;
      open({ index: i + 1, form: formOf(copy) });
      setMessage({ text: made, error: false });
    });
  };
  const remove = async (i: number) => {
    const list = saved!.filter((_, k) => k !== i);
    const next = await writeList(list).catch((e: unknown) => {
      throw new Error(plainError(e));
    });
    setSaved(next);
    setEditing((e) => (e && e.index !== null ? (e.index === i ? null : { ...e, index: e.index > i ? e.index - 1 : e.index }) : e));
    setMessage({ text: `Deleted the filter “${saved![i]!.name}”.`, error: false });
  };

  const save = async () => {
    if (!editing || !checked || !saved) return;
    if (!checked.rule) {
      setEditing({ ...editing, attempted: true });
      setMessage({ text: 'Not saved: fix what is marked above.', error: true });
      return;
    }
    const index = editing.index ?? saved.length;
    const list = editing.index === null ? [...saved, checked.rule] : saved.map((r, i) => (i === index ? checked.rule! : r));
    try {
      const next = await writeList(list);
      setSaved(next);
      setEditing({ index, form: formOf(next[index]!), dirty: false, attempted: false, fromMain: null });
      setMessage({ text: `Saved the filter “${next[index]!.name}”.`, error: false });
    } catch (e) {
      const place = placeOfError(failureText(e));
      if (place.rule === index) {
        setEditing({ ...editing, attempted: true, fromMain: place });
        setMessage({ text: 'Not saved: fix what is marked above.', error: true });
      } else setMessage({ text: place.rule !== null && saved[place.rule] ? `Not saved: the filter “${saved[place.rule]!.name}”: ${place.text}` : place.text, error: true });
    }
  };

  const change = (form: RuleForm) => editing && setEditing({ ...editing, form, dirty: true, fromMain: null });
  const problems = editing && checked ? shownProblems(editing, checked.problems) : null;

  return (
    <section className="settings-page rules-settings" aria-label="Filters">
      <h2>Filters</h2>
      <p className="muted">Filters run in this order on new mail once it is safely on this computer, and when you press Run now.</p>
      {loadError && <p role="alert">The filters could not be read: {loadError}</p>}
      {/* Said as a sentence: in the list's bordered box it looked like an empty text field. */}
      {saved && saved.length === 0 && <p className="rules-empty">No filters yet.</p>}
      {saved && saved.length > 0 && (
        <ol className="rule-list" aria-label="Filters in order">
          {saved.map((r, i) => (
            <li key={`${i}-${r.name}`} className={`rule-entry${editing?.index === i ? ' current' : ''}${r.enabled ? '' : ' off'}`}>
              <input type="checkbox" aria-label={`${r.name} on`} checked={r.enabled} onChange={() => toggle(i)} />
              <button type="button" className="rule-open" aria-current={editing?.index === i ? 'true' : undefined} onClick={() => choose({ index: i, form: formOf(r) })}>
                <span className="rule-name">{r.name}</span>
                <span className="rule-summary">{ruleWords(r)}</span>
                <span className="rule-summary rule-accounts">Applies to {scopeWords(r.accounts, nameOf)}.</span>
              </button>
              <span className="order-buttons">
                <button type="button" aria-label={`Move ${r.name} up`} title="Move up" disabled={i === 0} onClick={() => moveRule(i, -1)}>
                  ↑
                </button>
                <button type="button" aria-label={`Move ${r.name} down`} title="Move down" disabled={i === saved.length - 1} onClick={() => moveRule(i, 1)}>
                  ↓
                </button>
                <button type="button" aria-label={`Duplicate ${r.name}`} title="Duplicate" onClick={() => duplicate(i)}>
                  Duplicate
                </button>
                <button type="button" aria-label={`Delete ${r.name}`} title="Delete" className="danger" onClick={() => setDeleting(i)}>
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ol>
      )}
      {saved && (
        <div className="form-actions rule-list-actions">
          <button type="button" onClick={() => choose({ index: null, form: blankForm('', newFilterScope()) })}>
            New filter
          </button>
        </div>
      )}
      {editing && problems && (
        <form
          className="rule-form"
          aria-label={editing.index === null ? 'New filter' : `Edit filter ${saved?.[editing.index]?.name ?? ''}`}
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <h3>{editing.index === null ? 'New filter' : `Edit “${saved?.[editing.index]?.name ?? ''}”`}</h3>
          <RuleEditor form={editing.form} onChange={change} problems={problems} folders={folders} serverDeletes={serverDeletes} accounts={accounts ?? []} />
          <label className="rule-scope">
            Preview and run on{' '}
            <select value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
              <option value="inbox">{SCOPE_WORDS.inbox}</option>
              <option value="all">{SCOPE_WORDS.all}</option>
            </select>
          </label>
          <RulePreview rule={previewable(editing.form)} scope={scope} accountName={accountName} asked={runs} />
          <div className="form-actions">
            {editing.dirty && <span className="muted unsaved">Unsaved changes</span>}
            <button type="button" onClick={() => (editing.dirty ? setSwitching('close') : setEditing(null))}>
              Cancel
            </button>
            <button type="submit" className="primary">
              Save
            </button>
          </div>
        </form>
      )}
      {message && (
        <p role={message.error ? 'alert' : 'status'} className={message.error ? 'error-text' : undefined}>
          {message.text}
        </p>
      )}
      {saved && saved.length > 0 && <RunNow scope={scope} unsaved={editing?.dirty ?? false} anyOn={saved.some((r) => r.enabled)} onRan={() => setRuns((n) => n + 1)} />}
      {deleting !== null && saved?.[deleting] && (
        <ConfirmDialog label={`Delete the filter “${saved[deleting]!.name}”?`} action="Delete filter" danger onClose={() => setDeleting(null)} onConfirm={() => remove(deleting)}>
          <p>Messages it already filed stay where they are.</p>
        </ConfirmDialog>
      )}
      {switching && (
        <ConfirmDialog
          label="Discard your changes?"
          action="Discard changes"
          onClose={() => setSwitching(null)}
          onConfirm={async () => (switching === 'close' ? setEditing(null) : open(switching))}
        >
          <p>The changes to this filter have not been saved.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
