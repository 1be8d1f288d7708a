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
  /** Preference page of a sign-up that waits for confirmation (double opt-in). */
  pendingNote: string;
  /** The double opt-in confirmation page and its outcomes. */
  confirmTitle: string;
  confirmIntro: string;
  confirmTopicsLead: string;
  /** What a sign-up with no topic list asked for. */
  allTopics: string;
  confirmButton: string;
  confirmIgnore: string;
  confirmedTitle: string;
  confirmedBody: string;
  alreadySubscribedTitle: string;
  alreadySubscribedBody: string;
  manageLater: string;
  invalidConfirmLinkBody: string;
  notPendingTitle: string;
  notPendingBody: string;
  /** Preference page of an expired link: it can still unsubscribe, not subscribe again. */
  expiredNote: string;
  /** The sunset email's "keep me subscribed" page and its outcomes. */
  keepTitle: string;
  keepIntro: string;
  keepButton: string;
  keptTitle: string;
  keptBody: string;
  keepUnavailableTitle: string;
  keepUnavailableBody: string;
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
    pendingNote: 'Your subscription has not been confirmed yet. Tick the topics you want and save to confirm it.',
    confirmTitle: 'Confirm your subscription',
    confirmIntro: 'You signed up for our emails. Please confirm that this is your address and that you want to receive them.',
    confirmTopicsLead: 'You asked for:',
    allTopics: 'All our emails',
    confirmButton: 'Confirm my subscription',
    confirmIgnore: 'If you did not sign up, close this page: you will not receive any marketing emails from us.',
    confirmedTitle: 'Your subscription is confirmed',
    confirmedBody: 'Thank you! You will now receive our emails.',
    alreadySubscribedTitle: 'You are already subscribed',
    alreadySubscribedBody: 'Your subscription was already confirmed. Nothing has been changed.',
    manageLater: 'You can change your preferences or unsubscribe at any time with the link at the bottom of every email.',
    invalidConfirmLinkBody: 'Please use the link in the most recent confirmation email from us. Nothing has been changed.',
    notPendingTitle: 'There is nothing to confirm',
    notPendingBody: 'This sign-up is no longer waiting for confirmation. Nothing has been changed.',
    expiredNote: 'This link is too old to change your topics or subscribe again; use the link in a more recent email for that. You can still unsubscribe here.',
    keepTitle: 'Keep receiving our emails?',
    keepIntro: 'We paused our emails because you had not opened them for a while. Press the button and we will keep sending them.',
    keepButton: 'Keep me subscribed',
    keptTitle: 'You are still subscribed',
    keptBody: 'Thank you! We will keep sending you our emails.',
    keepUnavailableTitle: 'We cannot restart our emails from this link',
    keepUnavailableBody: 'Emails to this address cannot be restarted from this link. Nothing has been changed.',
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
    pendingNote: 'Ihr Abonnement ist noch nicht bestätigt. Wählen Sie die gewünschten Themen aus und speichern Sie, um es zu bestätigen.',
    confirmTitle: 'Abonnement bestätigen',
    confirmIntro: 'Sie haben sich für unsere E-Mails angemeldet. Bitte bestätigen Sie, dass dies Ihre Adresse ist und Sie unsere E-Mails erhalten möchten.',
    confirmTopicsLead: 'Sie haben angefragt:',
    allTopics: 'Alle unsere E-Mails',
    confirmButton: 'Mein Abonnement bestätigen',
    confirmIgnore: 'Wenn Sie sich nicht angemeldet haben, schließen Sie diese Seite: Sie erhalten dann keine Marketing-E-Mails von uns.',
    confirmedTitle: 'Ihr Abonnement ist bestätigt',
    confirmedBody: 'Vielen Dank! Ab jetzt erhalten Sie unsere E-Mails.',
    alreadySubscribedTitle: 'Sie sind bereits angemeldet',
    alreadySubscribedBody: 'Ihr Abonnement war bereits bestätigt. Es wurde nichts geändert.',
    manageLater: 'Über den Link am Ende jeder E-Mail können Sie Ihre Einstellungen jederzeit ändern oder sich abmelden.',
    invalidConfirmLinkBody: 'Bitte verwenden Sie den Link aus der neuesten Bestätigungs-E-Mail von uns. Es wurde nichts geändert.',
    notPendingTitle: 'Es gibt nichts zu bestätigen',
    notPendingBody: 'Diese Anmeldung wartet nicht mehr auf eine Bestätigung. Es wurde nichts geändert.',
    expiredNote: 'Dieser Link ist zu alt, um Themen zu ändern oder sich wieder anzumelden; nutzen Sie dafür den Link in einer neueren E-Mail. Abmelden können Sie sich hier weiterhin.',
    keepTitle: 'Möchten Sie unsere E-Mails weiter erhalten?',
    keepIntro: 'Wir haben unsere E-Mails pausiert, weil Sie sie eine Weile nicht geöffnet haben. Drücken Sie die Schaltfläche, und wir senden sie weiter.',
    keepButton: 'Ich möchte angemeldet bleiben',
    keptTitle: 'Sie bleiben angemeldet',
    keptBody: 'Vielen Dank! Wir senden Ihnen weiterhin unsere E-Mails.',
    keepUnavailableTitle: 'Mit diesem Link können wir unsere E-Mails nicht wieder aufnehmen',
    keepUnavailableBody: 'E-Mails an diese Adresse können mit diesem Link nicht wieder aufgenommen werden. Es wurde nichts geändert.',
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
    pendingNote: 'Votre abonnement n’est pas encore confirmé. Cochez les thèmes souhaités et enregistrez pour le confirmer.',
    confirmTitle: 'Confirmez votre abonnement',
    confirmIntro: 'Vous vous êtes inscrit(e) à nos e-mails. Veuillez confirmer qu’il s’agit bien de votre adresse et que vous souhaitez les recevoir.',
    confirmTopicsLead: 'Vous avez demandé :',
    allTopics: 'Tous nos e-mails',
    confirmButton: 'Confirmer mon abonnement',
    confirmIgnore: 'Si vous ne vous êtes pas inscrit(e), fermez cette page : vous ne recevrez aucun e-mail marketing de notre part.',
    confirmedTitle: 'Votre abonnement est confirmé',
    confirmedBody: 'Merci ! Vous recevrez désormais nos e-mails.',
    alreadySubscribedTitle: 'Vous êtes déjà abonné(e)',
    alreadySubscribedBody: 'Votre abonnement était déjà confirmé. Rien n’a été modifié.',
    manageLater: 'Vous pouvez modifier vos préférences ou vous désabonner à tout moment grâce au lien en bas de chaque e-mail.',
    invalidConfirmLinkBody: 'Veuillez utiliser le lien de notre e-mail de confirmation le plus récent. Rien n’a été modifié.',
    notPendingTitle: 'Il n’y a rien à confirmer',
    notPendingBody: 'Cette inscription n’attend plus de confirmation. Rien n’a été modifié.',
    expiredNote: 'Ce lien est trop ancien pour modifier vos thèmes ou vous réabonner ; utilisez pour cela le lien d’un e-mail plus récent. Vous pouvez toujours vous désabonner ici.',
    keepTitle: 'Continuer à recevoir nos e-mails ?',
    keepIntro: 'Nous avons suspendu nos e-mails car vous ne les ouvriez plus depuis un moment. Appuyez sur le bouton et nous continuerons à vous les envoyer.',
    keepButton: 'Je reste abonné',
    keptTitle: 'Vous restez abonné',
    keptBody: 'Merci ! Nous continuerons à vous envoyer nos e-mails.',
    keepUnavailableTitle: 'Nous ne pouvons pas reprendre nos e-mails avec ce lien',
    keepUnavailableBody: 'Les e-mails vers cette adresse ne peuvent pas reprendre avec ce lien. Rien n’a été modifié.',
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
    pendingNote: 'Tu suscripción aún no está confirmada. Marca los temas que quieras y guarda para confirmarla.',
    confirmTitle: 'Confirma tu suscripción',
    confirmIntro: 'Te has suscrito a nuestros correos. Confirma que esta es tu dirección y que quieres recibirlos.',
    confirmTopicsLead: 'Has pedido:',
    allTopics: 'Todos nuestros correos',
    confirmButton: 'Confirmar mi suscripción',
    confirmIgnore: 'Si no te has suscrito, cierra esta página: no recibirás correos de marketing de nuestra parte.',
    confirmedTitle: 'Tu suscripción está confirmada',
    confirmedBody: '¡Gracias! A partir de ahora recibirás nuestros correos.',
    alreadySubscribedTitle: 'Ya estás suscrito',
    alreadySubscribedBody: 'Tu suscripción ya estaba confirmada. No se ha cambiado nada.',
    manageLater: 'Puedes cambiar tus preferencias o darte de baja en cualquier momento con el enlace al final de cada correo.',
    invalidConfirmLinkBody: 'Usa el enlace de nuestro correo de confirmación más reciente. No se ha cambiado nada.',
    notPendingTitle: 'No hay nada que confirmar',
    notPendingBody: 'Esta suscripción ya no está pendiente de confirmación. No se ha cambiado nada.',
    expiredNote: 'Este enlace es demasiado antiguo para cambiar tus temas o volver a suscribirte; usa para ello el enlace de un correo más reciente. Aquí todavía puedes darte de baja.',
    keepTitle: '¿Quieres seguir recibiendo nuestros correos?',
    keepIntro: 'Hemos pausado nuestros correos porque hace tiempo que no los abres. Pulsa el botón y seguiremos enviándotelos.',
    keepButton: 'Quiero seguir suscrito',
    keptTitle: 'Sigues suscrito',
    keptBody: '¡Gracias! Seguiremos enviándote nuestros correos.',
    keepUnavailableTitle: 'No podemos reanudar nuestros correos con este enlace',
    keepUnavailableBody: 'Los correos a esta dirección no se pueden reanudar con este enlace. No se ha cambiado nada.',
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
    pendingNote: 'ご登録はまだ確認されていません。受け取りたい種類を選択して保存すると、登録が確認されます。',
    confirmTitle: 'ご登録の確認',
    confirmIntro: 'メール配信にご登録いただきました。このメールアドレスがご本人のものであり、配信を希望されることをご確認ください。',
    confirmTopicsLead: 'ご希望の内容:',
    allTopics: 'すべてのメール',
    confirmButton: '登録を確認する',
    confirmIgnore: 'お心当たりがない場合は、このページを閉じてください。マーケティングメールはお送りしません。',
    confirmedTitle: 'ご登録が確認されました',
    confirmedBody: 'ありがとうございます。今後、メールをお届けします。',
    alreadySubscribedTitle: 'すでに登録済みです',
    alreadySubscribedBody: 'ご登録はすでに確認済みです。設定は変更されていません。',
    manageLater: '配信設定の変更や配信停止は、各メールの末尾のリンクからいつでも行えます。',
    invalidConfirmLinkBody: '最近お送りした確認メールのリンクをご利用ください。設定は変更されていません。',
    notPendingTitle: '確認が必要な登録はありません',
    notPendingBody: 'このご登録は確認待ちではありません。設定は変更されていません。',
    expiredNote: 'このリンクは古いため、トピックの変更や再登録はできません。最近のメールのリンクをご利用ください。配信停止はここで引き続き行えます。',
    keepTitle: 'メールの受信を続けますか？',
    keepIntro: 'しばらくメールが開封されていないため、配信を一時停止しました。ボタンを押すと配信を続けます。',
    keepButton: '受信を続ける',
    keptTitle: '受信を続けます',
    keptBody: 'ありがとうございます。今後もメールをお送りします。',
    keepUnavailableTitle: 'このリンクでは配信を再開できません',
    keepUnavailableBody: 'このアドレスへのメールはこのリンクでは再開できません。設定は変更されていません。',
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
    pendingNote: '您的订阅尚未确认。勾选您想要的主题并保存即可确认。',
    confirmTitle: '确认您的订阅',
    confirmIntro: '您已订阅我们的邮件。请确认这是您的邮箱地址，并且您希望接收我们的邮件。',
    confirmTopicsLead: '您订阅的内容：',
    allTopics: '我们的所有邮件',
    confirmButton: '确认订阅',
    confirmIgnore: '如果您没有订阅，请关闭此页面：您不会收到我们的任何营销邮件。',
    confirmedTitle: '您的订阅已确认',
    confirmedBody: '谢谢！今后您将收到我们的邮件。',
    alreadySubscribedTitle: '您已订阅',
    alreadySubscribedBody: '您的订阅此前已确认。未做任何更改。',
    manageLater: '您可以随时通过每封邮件底部的链接更改偏好设置或退订。',
    invalidConfirmLinkBody: '请使用我们最近发送的确认邮件中的链接。未做任何更改。',
    notPendingTitle: '没有需要确认的订阅',
    notPendingBody: '此订阅已不再等待确认。未做任何更改。',
    expiredNote: '此链接已过旧，无法更改主题或重新订阅；请使用较新邮件中的链接。您仍可在此退订。',
    keepTitle: '继续接收我们的邮件吗？',
    keepIntro: '由于您有一段时间没有打开我们的邮件，我们已暂停发送。按下按钮，我们将继续发送。',
    keepButton: '继续订阅',
    keptTitle: '您仍在订阅中',
    keptBody: '谢谢！我们会继续向您发送邮件。',
    keepUnavailableTitle: '无法通过此链接恢复邮件',
    keepUnavailableBody: '无法通过此链接恢复发往此地址的邮件。未做任何更改。',
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
