/**
 * What the unsubscribe and preference pages say, per language. Plain text only: the page
 * renderer escapes every string, so a translation can never inject markup.
 */
export const PREFERENCE_LANGUAGES = ['en', 'de', 'fr', 'es', 'ja', 'zh'] as const;
export type PreferenceLanguage = (typeof PREFERENCE_LANGUAGES)[number];

export interface TopicText {
  label: string;
  description: string;
}

export interface PreferenceTexts {
  preferencesTitle: string;
  /** Greeting when the profile has a first name. */
  greeting: (firstName: string) => string;
  intro: string;
  topicsLegend: string;
  /** Known topics; others fall back to their id. */
  topics: Record<string, TopicText>;
  allOffNote: string;
  save: string;
  unsubscribeTopic: (topic: string) => string;
  unsubscribeAll: string;
  savedTitle: string;
  savedBody: string;
  subscribedTo: string;
  subscribedToNothing: string;
  topicUnsubscribedTitle: string;
  topicUnsubscribedBody: (topic: string) => string;
  allUnsubscribedTitle: string;
  allUnsubscribedBody: string;
  changePreferences: string;
  invalidLinkTitle: string;
  invalidLinkBody: string;
  notFoundTitle: string;
  notFoundBody: string;
  badRequestTitle: string;
  badRequestBody: string;
  errorTitle: string;
  errorBody: string;
}

export const PREFERENCE_TEXTS: Record<PreferenceLanguage, PreferenceTexts> = {
  en: {
    preferencesTitle: 'Email preferences',
    greeting: (name) => `Hello ${name},`,
    intro: 'Choose which emails you would like to receive from us.',
    topicsLegend: 'Email topics',
    topics: {
      newsletter: { label: 'Newsletter', description: 'News, tips and stories from our shop.' },
      offers: { label: 'Offers', description: 'Discounts and special offers.' },
    },
    allOffNote: 'You are currently unsubscribed from all marketing emails. Tick a topic to subscribe again.',
    save: 'Save preferences',
    unsubscribeTopic: (topic) => `Unsubscribe from “${topic}”`,
    unsubscribeAll: 'Unsubscribe from all',
    savedTitle: 'Preferences saved',
    savedBody: 'Your email preferences have been updated.',
    subscribedTo: 'You receive:',
    subscribedToNothing: 'You will not receive any marketing emails from us.',
    topicUnsubscribedTitle: 'You have been unsubscribed',
    topicUnsubscribedBody: (topic) => `You will no longer receive “${topic}” emails.`,
    allUnsubscribedTitle: 'You have been unsubscribed',
    allUnsubscribedBody: 'You will no longer receive any marketing emails from us.',
    changePreferences: 'Change your preferences',
    invalidLinkTitle: 'This link is invalid or has expired',
    invalidLinkBody: 'Please use the unsubscribe link in a more recent email from us. Nothing has been changed.',
    notFoundTitle: 'We could not find your subscription',
    notFoundBody: 'There is no subscription for this link. Nothing has been changed.',
    badRequestTitle: 'We could not understand this request',
    badRequestBody: 'Please open the link from your email again. Nothing has been changed.',
    errorTitle: 'Something went wrong',
    errorBody: 'We could not update your preferences just now. Please try again in a few minutes.',
  },
  de: {
    preferencesTitle: 'E-Mail-Einstellungen',
    greeting: (name) => `Hallo ${name},`,
    intro: 'Wählen Sie aus, welche E-Mails Sie von uns erhalten möchten.',
    topicsLegend: 'E-Mail-Themen',
    topics: {
      newsletter: { label: 'Newsletter', description: 'Neuigkeiten, Tipps und Geschichten aus unserem Shop.' },
      offers: { label: 'Angebote', description: 'Rabatte und Sonderangebote.' },
    },
    allOffNote: 'Sie sind derzeit von allen Marketing-E-Mails abgemeldet. Wählen Sie ein Thema aus, um es wieder zu abonnieren.',
    save: 'Einstellungen speichern',
    unsubscribeTopic: (topic) => `Von „${topic}“ abmelden`,
    unsubscribeAll: 'Von allen abmelden',
    savedTitle: 'Einstellungen gespeichert',
    savedBody: 'Ihre E-Mail-Einstellungen wurden aktualisiert.',
    subscribedTo: 'Sie erhalten:',
    subscribedToNothing: 'Sie erhalten keine Marketing-E-Mails mehr von uns.',
    topicUnsubscribedTitle: 'Sie wurden abgemeldet',
    topicUnsubscribedBody: (topic) => `Sie erhalten keine E-Mails zum Thema „${topic}“ mehr.`,
    allUnsubscribedTitle: 'Sie wurden abgemeldet',
    allUnsubscribedBody: 'Sie erhalten keine Marketing-E-Mails mehr von uns.',
    changePreferences: 'Einstellungen ändern',
    invalidLinkTitle: 'Dieser Link ist ungültig oder abgelaufen',
    invalidLinkBody: 'Bitte verwenden Sie den Abmeldelink in einer neueren E-Mail von uns. Es wurde nichts geändert.',
    notFoundTitle: 'Wir konnten Ihr Abonnement nicht finden',
    notFoundBody: 'Zu diesem Link gibt es kein Abonnement. Es wurde nichts geändert.',
    badRequestTitle: 'Diese Anfrage konnten wir nicht verarbeiten',
    badRequestBody: 'Bitte öffnen Sie den Link aus Ihrer E-Mail erneut. Es wurde nichts geändert.',
    errorTitle: 'Etwas ist schiefgelaufen',
    errorBody: 'Ihre Einstellungen konnten gerade nicht gespeichert werden. Bitte versuchen Sie es in einigen Minuten erneut.',
  },
  fr: {
    preferencesTitle: 'Préférences e-mail',
    greeting: (name) => `Bonjour ${name},`,
    intro: 'Choisissez les e-mails que vous souhaitez recevoir de notre part.',
    topicsLegend: 'Thèmes des e-mails',
    topics: {
      newsletter: { label: 'Newsletter', description: 'Actualités, conseils et histoires de notre boutique.' },
      offers: { label: 'Offres', description: 'Réductions et offres spéciales.' },
    },
    allOffNote: 'Vous êtes actuellement désabonné(e) de tous les e-mails marketing. Cochez un thème pour vous réabonner.',
    save: 'Enregistrer les préférences',
    unsubscribeTopic: (topic) => `Se désabonner de « ${topic} »`,
    unsubscribeAll: 'Se désabonner de tout',
    savedTitle: 'Préférences enregistrées',
    savedBody: 'Vos préférences e-mail ont été mises à jour.',
    subscribedTo: 'Vous recevez :',
    subscribedToNothing: 'Vous ne recevrez plus aucun e-mail marketing de notre part.',
    topicUnsubscribedTitle: 'Vous avez été désabonné(e)',
    topicUnsubscribedBody: (topic) => `Vous ne recevrez plus les e-mails « ${topic} ».`,
    allUnsubscribedTitle: 'Vous avez été désabonné(e)',
    allUnsubscribedBody: 'Vous ne recevrez plus aucun e-mail marketing de notre part.',
    changePreferences: 'Modifier vos préférences',
    invalidLinkTitle: 'Ce lien est invalide ou a expiré',
    invalidLinkBody: 'Veuillez utiliser le lien de désabonnement d’un e-mail plus récent. Rien n’a été modifié.',
    notFoundTitle: 'Nous n’avons pas trouvé votre abonnement',
    notFoundBody: 'Aucun abonnement ne correspond à ce lien. Rien n’a été modifié.',
    badRequestTitle: 'Nous n’avons pas pu traiter cette demande',
    badRequestBody: 'Veuillez ouvrir à nouveau le lien de votre e-mail. Rien n’a été modifié.',
    errorTitle: 'Une erreur s’est produite',
    errorBody: 'Nous n’avons pas pu mettre à jour vos préférences. Veuillez réessayer dans quelques minutes.',
  },
  es: {
    preferencesTitle: 'Preferencias de correo',
    greeting: (name) => `Hola, ${name}:`,
    intro: 'Elige qué correos quieres recibir de nosotros.',
    topicsLegend: 'Temas de correo',
    topics: {
      newsletter: { label: 'Boletín', description: 'Novedades, consejos e historias de nuestra tienda.' },
      offers: { label: 'Ofertas', description: 'Descuentos y ofertas especiales.' },
    },
    allOffNote: 'Ahora mismo no recibes ningún correo de marketing. Marca un tema para volver a suscribirte.',
    save: 'Guardar preferencias',
    unsubscribeTopic: (topic) => `Darme de baja de «${topic}»`,
    unsubscribeAll: 'Darme de baja de todo',
    savedTitle: 'Preferencias guardadas',
    savedBody: 'Tus preferencias de correo se han actualizado.',
    subscribedTo: 'Recibes:',
    subscribedToNothing: 'No recibirás más correos de marketing de nuestra parte.',
    topicUnsubscribedTitle: 'Te has dado de baja',
    topicUnsubscribedBody: (topic) => `Ya no recibirás correos de «${topic}».`,
    allUnsubscribedTitle: 'Te has dado de baja',
    allUnsubscribedBody: 'No recibirás más correos de marketing de nuestra parte.',
    changePreferences: 'Cambiar tus preferencias',
    invalidLinkTitle: 'Este enlace no es válido o ha caducado',
    invalidLinkBody: 'Usa el enlace de baja de un correo más reciente. No se ha cambiado nada.',
    notFoundTitle: 'No encontramos tu suscripción',
    notFoundBody: 'No hay ninguna suscripción para este enlace. No se ha cambiado nada.',
    badRequestTitle: 'No pudimos procesar esta solicitud',
    badRequestBody: 'Vuelve a abrir el enlace de tu correo. No se ha cambiado nada.',
    errorTitle: 'Algo ha salido mal',
    errorBody: 'No pudimos actualizar tus preferencias. Inténtalo de nuevo en unos minutos.',
  },
  ja: {
    preferencesTitle: 'メール配信設定',
    greeting: (name) => `${name} 様`,
    intro: '受け取りたいメールを選択してください。',
    topicsLegend: 'メールの種類',
    topics: {
      newsletter: { label: 'ニュースレター', description: 'ショップからのお知らせ、ヒント、読み物。' },
      offers: { label: 'お得な情報', description: '割引や特別なご案内。' },
    },
    allOffNote: '現在、すべてのマーケティングメールの配信を停止しています。再び受け取るには種類を選択してください。',
    save: '設定を保存',
    unsubscribeTopic: (topic) => `「${topic}」の配信を停止`,
    unsubscribeAll: 'すべての配信を停止',
    savedTitle: '設定を保存しました',
    savedBody: 'メール配信設定を更新しました。',
    subscribedTo: '受け取るメール:',
    subscribedToNothing: '今後、マーケティングメールはお送りしません。',
    topicUnsubscribedTitle: '配信を停止しました',
    topicUnsubscribedBody: (topic) => `今後「${topic}」のメールはお送りしません。`,
    allUnsubscribedTitle: '配信を停止しました',
    allUnsubscribedBody: '今後、マーケティングメールはお送りしません。',
    changePreferences: '配信設定を変更',
    invalidLinkTitle: 'このリンクは無効か、有効期限が切れています',
    invalidLinkBody: '最近お送りしたメールの配信停止リンクをご利用ください。設定は変更されていません。',
    notFoundTitle: 'ご登録が見つかりませんでした',
    notFoundBody: 'このリンクに対応する登録はありません。設定は変更されていません。',
    badRequestTitle: 'このリクエストを処理できませんでした',
    badRequestBody: 'メールのリンクをもう一度開いてください。設定は変更されていません。',
    errorTitle: 'エラーが発生しました',
    errorBody: '現在、設定を更新できません。数分後にもう一度お試しください。',
  },
  zh: {
    preferencesTitle: '邮件偏好设置',
    greeting: (name) => `${name}，您好：`,
    intro: '请选择您希望收到的邮件。',
    topicsLegend: '邮件主题',
    topics: {
      newsletter: { label: '新闻通讯', description: '来自我们商店的新闻、技巧和故事。' },
      offers: { label: '优惠信息', description: '折扣和特别优惠。' },
    },
    allOffNote: '您目前已退订所有营销邮件。勾选主题即可重新订阅。',
    save: '保存设置',
    unsubscribeTopic: (topic) => `退订“${topic}”`,
    unsubscribeAll: '全部退订',
    savedTitle: '设置已保存',
    savedBody: '您的邮件偏好设置已更新。',
    subscribedTo: '您将收到：',
    subscribedToNothing: '您将不再收到我们的任何营销邮件。',
    topicUnsubscribedTitle: '您已退订',
    topicUnsubscribedBody: (topic) => `您将不再收到“${topic}”邮件。`,
    allUnsubscribedTitle: '您已退订',
    allUnsubscribedBody: '您将不再收到我们的任何营销邮件。',
    changePreferences: '更改偏好设置',
    invalidLinkTitle: '此链接无效或已过期',
    invalidLinkBody: '请使用我们最近发送的邮件中的退订链接。未做任何更改。',
    notFoundTitle: '未找到您的订阅',
    notFoundBody: '此链接没有对应的订阅。未做任何更改。',
    badRequestTitle: '无法处理此请求',
    badRequestBody: '请重新打开邮件中的链接。未做任何更改。',
    errorTitle: '出现错误',
    errorBody: '暂时无法更新您的设置，请几分钟后重试。',
  },
};

const isLanguage = (s: string): s is PreferenceLanguage => (PREFERENCE_LANGUAGES as readonly string[]).includes(s);

/** The page language for a stored locale (`de-DE`, `pt_BR`, `ja`); English when we have no translation. */
export function preferenceLanguage(locale: string | undefined): PreferenceLanguage {
  const primary = (locale ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return isLanguage(primary) ? primary : 'en';
}

/** The best supported language in an Accept-Language header (used when the customer is unknown). */
export function languageFromAcceptLanguage(header: string | undefined): PreferenceLanguage {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.toLowerCase().split('-')[0] ?? '';
    if (isLanguage(primary)) return primary;
  }
  return 'en';
}

export const topicText = (texts: PreferenceTexts, topic: string): TopicText => texts.topics[topic] ?? { label: topic, description: '' };
