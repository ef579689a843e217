/**
 * One filter's fields: its name, all/any, the conditions and the actions as rows. Each row says
 * what is wrong with it next to it, as the person types (problems come from form.ts, or from
 * main after a save).
 */
import { useId } from 'react';
import { Check, Field } from '../accounts/fields.js';
import { ACTION_LABELS, blankAction, blankCondition, FIELD_LABELS, SIZE_UNITS, TEXT_OPS, withField, type ActionRow, type ConditionRow, type FieldChoice, type FormProblems, type RuleForm, type SizeUnit } from './form.js';
import { MAX_ACTIONS, MAX_CONDITIONS, scopeWords } from '../../../../shared/rules.js';

export interface EditorProps {
  form: RuleForm;
  onChange: (f: RuleForm) => void;
  problems: FormProblems;
  /** Folder paths to offer ("Work/Projects"), from the read model's trees. */
  folders: readonly string[];
  /** Some account leaves mail on the server: "Delete from the server" means something there. */
  serverDeletes: boolean;
  /** The accounts a filter may be scoped to, in the sidebar's order. */
  accounts: readonly { id: string; name: string }[];
}

const EVERY_ACCOUNT = '';
const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Which accounts' mail the filter runs on: one account, or every account. A scope of several
 * accounts (rules.json, the CLI's --json) is offered as it is, so opening the filter keeps it.
 */
function ScopeField({ value, accounts, onChange }: { value: string[] | null; accounts: EditorProps['accounts']; onChange: (v: string[] | null) => void }) {
  const nameOf = (id: string) => accounts.find((a) => a.id === id)?.name;
  const own = value !== null && !(value.length === 1 && nameOf(value[0]!) !== undefined);
  return (
    <Field label="Applies to" hint={value === null ? 'The mail of every account, also of accounts added later.' : 'Mail of other accounts is left alone.'}>
      {(id) => (
        <select id={id} value={value === null ? EVERY_ACCOUNT : value.join(' ')} onChange={(e) => onChange(e.target.value === EVERY_ACCOUNT ? null : e.target.value.split(' '))}>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
          {own && <option value={value.join(' ')}>{capitalized(scopeWords(value, nameOf))}</option>}
          <option value={EVERY_ACCOUNT}>Every account</option>
        </select>
      )}
    </Field>
  );
}

function RowError({ id, text }: { id: string; text: string | null }) {
  return text ? (
    <div className="field-error rule-row-error" id={id} role="alert">
      {text}
    </div>
  ) : null;
}

function ConditionEditor({ row, n, problem, onChange, onRemove }: { row: ConditionRow; n: number; problem: string | null; onChange: (r: ConditionRow) => void; onRemove?: () => void }) {
  const id = useId();
  const errorId = `${id}-error`;
  const invalid = problem ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {};
  return (
    <li className="rule-row">
      <div className="rule-row-fields" role="group" aria-label={`Condition ${n}`}>
        <select aria-label={`Condition ${n}: what to look at`} value={row.field} onChange={(e) => onChange(withField(row, e.target.value as FieldChoice))}>
          {FIELD_LABELS.map(([f, label]) => (
            <option key={f} value={f}>
              {label}
            </option>
          ))}
        </select>
        {row.field === 'header' && <input aria-label={`Condition ${n}: header name`} placeholder="List-Id" value={row.header} onChange={(e) => onChange({ ...row, header: e.target.value })} spellCheck={false} {...invalid} />}
        {row.field === 'attachment' ? (
          <select aria-label={`Condition ${n}: attachment`} value={row.op} onChange={(e) => onChange({ ...row, op: e.target.value })}>
            <option value="has">has an attachment</option>
            <option value="has-no">has no attachment</option>
          </select>
        ) : row.field === 'size' || row.field === 'age' ? (
          <>
            <select aria-label={`Condition ${n}: comparison`} value={row.op} onChange={(e) => onChange({ ...row, op: e.target.value })}>
              <option value=">">{row.field === 'size' ? 'is over' : 'is older than'}</option>
              <option value="<">{row.field === 'size' ? 'is under' : 'is newer than'}</option>
            </select>
            <input aria-label={`Condition ${n}: ${row.field === 'size' ? 'size' : 'days'}`} inputMode="decimal" className="rule-number" value={row.value} onChange={(e) => onChange({ ...row, value: e.target.value })} {...invalid} />
            {row.field === 'size' ? (
              <select aria-label={`Condition ${n}: unit`} value={row.unit} onChange={(e) => onChange({ ...row, unit: e.target.value as SizeUnit })}>
                {SIZE_UNITS.map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </select>
            ) : (
              <span>days</span>
            )}
          </>
        ) : (
          <>
            <select aria-label={`Condition ${n}: operator`} value={row.op} onChange={(e) => onChange({ ...row, op: e.target.value })}>
              {TEXT_OPS.map(([op, label]) => (
                <option key={op} value={op}>
                  {label}
                </option>
              ))}
            </select>
            <input aria-label={`Condition ${n}: value`} value={row.value} placeholder={row.op === 'matches' ? 'invoice-*.pdf' : ''} onChange={(e) => onChange({ ...row, value: e.target.value })} spellCheck={false} {...invalid} />
          </>
        )}
        {onRemove && (
          <button type="button" aria-label={`Remove condition ${n}`} title="Remove this condition" onClick={onRemove}>
            ✕
          </button>
        )}
      </div>
      {row.op === 'matches' && row.field !== 'size' && row.field !== 'age' && row.field !== 'attachment' && <div className="hint">The whole text: * stands for any text, ? for one character (not a regular expression).</div>}
      <RowError id={errorId} text={problem} />
    </li>
  );
}

function ActionEditor({ row, n, problem, serverDeletes, listId, onChange, onRemove }: { row: ActionRow; n: number; problem: string | null; serverDeletes: boolean; listId: string; onChange: (r: ActionRow) => void; onRemove?: () => void }) {
  const id = useId();
  const errorId = `${id}-error`;
  // Offered only where it means something, but a filter that already has it shows it.
  const kinds = ACTION_LABELS.filter(([t]) => t !== 'delete-on-server' || serverDeletes || row.t === t);
  return (
    <li className="rule-row">
      <div className="rule-row-fields" role="group" aria-label={`Action ${n}`}>
        <select aria-label={`Action ${n}: what to do`} value={row.t} onChange={(e) => onChange({ ...row, t: e.target.value as ActionRow['t'] })}>
          {kinds.map(([t, label]) => (
            <option key={t} value={t}>
              {label}
            </option>
          ))}
        </select>
        {(row.t === 'move' || row.t === 'copy') && (
          <input
            aria-label={`Action ${n}: folder`}
            list={listId}
            placeholder="Choose or type a folder"
            value={row.folder}
            onChange={(e) => onChange({ ...row, folder: e.target.value })}
            spellCheck={false}
            {...(problem ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {})}
          />
        )}
        {row.t === 'forward' && (
          <input
            type="email"
            aria-label={`Action ${n}: address`}
            placeholder="someone@example.org"
            value={row.to ?? ''}
            onChange={(e) => onChange({ ...row, to: e.target.value })}
            spellCheck={false}
            {...(problem ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {})}
          />
        )}
        {onRemove && (
          <button type="button" aria-label={`Remove action ${n}`} title="Remove this action" onClick={onRemove}>
            ✕
          </button>
        )}
      </div>
      {(row.t === 'move' || row.t === 'copy') && <div className="hint">A folder that does not exist yet is made when the filter first files a message there.</div>}
      {row.t === 'delete-on-server' && (
        <div className="hint rule-warning">
          Deletes the message on the server at the next check, for every device and program that reads this mailbox; the copy on this computer stays. Only for accounts that leave messages on the server.
        </div>
      )}
      {row.t === 'forward' && (
        <div className="hint rule-warning">
          Sends each matching new message, as an attachment, from this account’s default address to this address as it arrives (Popbox asks you to confirm when you save). Never mail sent automatically, and at most 20 an hour; Run now does not forward.
        </div>
      )}
      <RowError id={errorId} text={problem} />
    </li>
  );
}

export function RuleEditor({ form, onChange, problems, folders, serverDeletes, accounts }: EditorProps) {
  const listId = useId();
  const set = <K extends keyof RuleForm>(k: K, v: RuleForm[K]) => onChange({ ...form, [k]: v });
  const setCondition = (i: number, r: ConditionRow) => set('conditions', form.conditions.map((c, j) => (j === i ? r : c)));
  const setAction = (i: number, r: ActionRow) => set('actions', form.actions.map((a, j) => (j === i ? r : a)));
  return (
    <div className="rule-editor">
      <Field label="Filter name" error={problems.name}>
        {(id, describedBy) => <input id={id} value={form.name} onChange={(e) => set('name', e.target.value)} aria-invalid={problems.name ? true : undefined} aria-describedby={describedBy} />}
      </Field>
      <ScopeField value={form.accounts} accounts={accounts} onChange={(v) => set('accounts', v)} />
      <Check label="On (runs on new mail and with Run now)" checked={form.enabled} onChange={(v) => set('enabled', v)} />
      <fieldset>
        <legend>When a message meets</legend>
        <div className="rule-match" role="radiogroup" aria-label="Which conditions">
          <label>
            <input type="radio" name={`${listId}-match`} checked={form.match === 'all'} onChange={() => set('match', 'all')} /> all of these conditions
          </label>
          <label>
            <input type="radio" name={`${listId}-match`} checked={form.match === 'any'} onChange={() => set('match', 'any')} /> any of these conditions
          </label>
        </div>
        <ol className="rule-rows" aria-label="Conditions">
          {form.conditions.map((c, i) => (
            <ConditionEditor key={i} row={c} n={i + 1} problem={problems.conditions[i] ?? null} onChange={(r) => setCondition(i, r)} onRemove={form.conditions.length > 1 ? () => set('conditions', form.conditions.filter((_, j) => j !== i)) : undefined} />
          ))}
        </ol>
        <button type="button" disabled={form.conditions.length >= MAX_CONDITIONS} onClick={() => set('conditions', [...form.conditions, blankCondition()])}>
          Add condition
        </button>
      </fieldset>
      <fieldset>
        <legend>Do this</legend>
        <datalist id={listId}>
          {folders.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <ol className="rule-rows" aria-label="Actions">
          {form.actions.map((a, i) => (
            <ActionEditor key={i} row={a} n={i + 1} problem={problems.actions[i] ?? null} serverDeletes={serverDeletes} listId={listId} onChange={(r) => setAction(i, r)} onRemove={form.actions.length > 1 ? () => set('actions', form.actions.filter((_, j) => j !== i)) : undefined} />
          ))}
        </ol>
        <button type="button" disabled={form.actions.length >= MAX_ACTIONS} onClick={() => set('actions', [...form.actions, { ...blankAction(), t: 'mark-read' }])}>
          Add action
        </button>
      </fieldset>
    </div>
  );
}
